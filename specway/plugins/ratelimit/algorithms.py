"""The two limiting algorithms in Python: the memory backend runs them, limiter.lua mirrors them.

Times are milliseconds (floats); counts are integers. Each function *checks* a policy and returns
the state it would write; the caller writes the new states only when every policy of the request
passed, so a rejected request consumes nothing.

**GCRA** (burst policies). The state is the theoretical arrival time ``tat``: each unit of cost
pushes it forward by the emission interval ``T = window / limit``; a request is admitted while
``tat - now`` stays within ``window``, so ``limit`` units fit into an idle bucket at once and
capacity comes back smoothly, one unit every ``T``. Comparisons allow 1 ms of slack so
floating-point sums of ``T`` never cost the last unit of a burst.

**Sliding-window counter** (quotas). The state is the count of the current fixed window (aligned
to the epoch) and of the previous one; the estimate is ``current + previous * (share of the
previous window still inside the sliding window)``. Two integers per key, whatever the limit,
instead of one entry per request for an exact sliding log.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GCRA = 1
SLIDING_WINDOW = 2
# Slack for float sums in the sliding-window comparison (counts are whole numbers).
_EPSILON = 1e-9
# Slack for float sums of GCRA intervals: rounding of absolute times in ms (about 2e-4 ms per
# addition) must never cost the last unit of a burst; 1 ms (or half an interval, if smaller) is
# far above that error and far below anything a client can observe.
_GCRA_SLACK_MS = 1.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """One policy's answer: admitted or not, and what the headers report.

    ``reset_ms`` is the time until the policy's quota is fully available again (GCRA) or until
    the current window ends (sliding window); ``retry_ms`` is 0 when admitted, the wait after
    which the same request would be admitted when rejected, and -1 when it never can be (the
    cost exceeds the limit).
    """

    allowed: bool
    remaining: int
    reset_ms: int
    retry_ms: int


def gcra(
    tat: float | None, now: float, limit: int, window_ms: float, cost: int
) -> tuple[Verdict, float | None]:
    """Check one GCRA policy; return the verdict and the ``tat`` to store if all policies pass."""
    interval = window_ms / limit
    slack = min(_GCRA_SLACK_MS, interval / 2)
    base = max(tat if tat is not None else now, now)
    new_tat = base + cost * interval
    if cost > limit:
        return Verdict(False, _gcra_remaining(base, now, window_ms, interval), 0, -1), None
    if new_tat - now > window_ms + slack:
        retry = math.ceil(new_tat - window_ms - slack - now)
        reset = math.ceil(base - now)
        return Verdict(False, _gcra_remaining(base, now, window_ms, interval), reset, retry), None
    remaining = _gcra_remaining(new_tat, now, window_ms, interval)
    verdict = Verdict(True, remaining, math.ceil(new_tat - now), 0)
    return verdict, new_tat


def unconsumed(verdict: Verdict, cost: int, limit: int) -> Verdict:
    """An admitting verdict as reported when another policy rejected the request.

    Nothing was recorded, so the ``cost`` units it counted as spent are still there.
    """
    if not verdict.allowed:
        return verdict
    return Verdict(True, min(limit, verdict.remaining + cost), verdict.reset_ms, 0)


def _gcra_remaining(tat: float, now: float, window_ms: float, interval: float) -> int:
    slack = min(_GCRA_SLACK_MS, interval / 2)
    return max(0, math.floor((window_ms + slack - (tat - now)) / interval))


SlidingState = tuple[int, int, int]  # (window index, current count, previous count)


def sliding_window(
    state: SlidingState | None, now: float, limit: int, window_ms: float, cost: int
) -> tuple[Verdict, SlidingState | None]:
    """Check one sliding-window policy; return the verdict and the state to store."""
    index = math.floor(now / window_ms)
    current, previous = 0, 0
    if state is not None:
        if state[0] == index:
            current, previous = state[1], state[2]
        elif state[0] == index - 1:
            previous = state[1]
    elapsed = now - index * window_ms
    reset = math.ceil(window_ms - elapsed)
    weight = previous * (window_ms - elapsed) / window_ms
    estimate = current + weight
    if cost > limit:
        return Verdict(False, _floor_remaining(limit - estimate), reset, -1), None
    if estimate + cost > limit + _EPSILON:
        retry = _sliding_retry(current, previous, elapsed, limit - cost, window_ms)
        return Verdict(False, _floor_remaining(limit - estimate), reset, retry), None
    remaining = _floor_remaining(limit - estimate - cost)
    return Verdict(True, remaining, reset, 0), (index, current + cost, previous)


def _floor_remaining(value: float) -> int:
    return max(0, math.floor(value + _EPSILON))


def _sliding_retry(current: int, previous: int, elapsed: float, room: int, window_ms: float) -> int:
    """Milliseconds until ``current + previous * (W - t) / W <= room`` (``room = limit - cost``)."""
    if current <= room:
        # Still in this window: wait for the previous window's share to decay enough.
        t = window_ms * (1 - (room - current) / previous)
        return max(1, math.ceil(t - elapsed))
    # The current count alone is too high: it becomes the decaying "previous" next window.
    t_next = window_ms * (1 - room / current)
    return max(1, math.ceil(window_ms - elapsed + t_next))
