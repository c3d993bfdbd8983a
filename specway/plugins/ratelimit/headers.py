"""Rate-limit response headers from the verdicts of one request.

* ``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` (the seeds' trio) describe the tightest
  policy: the rejecting one that makes the client wait longest, otherwise the one with the
  fewest remaining units. ``-Reset`` is in **seconds from now**, or the Unix time of the reset
  (rounded up to the second) when the spec says ``x-specway-ratelimit: {reset: unix}``.
* ``RateLimit-Policy`` and ``RateLimit`` (IETF draft-ietf-httpapi-ratelimit-headers-10) list
  every policy: ``"burst";q=100;w=60`` and ``"burst";r=42;t=17``.
* ``Retry-After`` (on 429 only): seconds after which the same request would be admitted, which
  is when the tightest policy admits it again.

A refusing policy's reset is when it admits the request again, if that is later than the end of
its window: a sliding window whose current window alone is over the limit still counts a share
of it after the window ends (100/h, all used now: the 101st is admitted 36 s after the window
ends), and a client that waits for ``X-RateLimit-Reset`` must not meet another 429. So
``Retry-After`` is never later than the tightest policy's ``X-RateLimit-Reset``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from specway.plugins.ratelimit.algorithms import Verdict
from specway.plugins.ratelimit.plan import CompiledPolicy, PolicySet

Headers = list[tuple[bytes, bytes]]


def _seconds(ms: int) -> int:
    return max(0, math.ceil(ms / 1000))


def _reset_ms(verdict: Verdict) -> int:
    """Milliseconds until the policy is reset for this caller: the end of its window, or, when
    it refuses the request, the time it admits it again if that is later."""
    if verdict.allowed or verdict.retry_ms < 0:
        return verdict.reset_ms
    return max(verdict.reset_ms, verdict.retry_ms)


def tightest(verdicts: Sequence[Verdict], headline: int | None = None) -> int:
    """Index of the policy the ``X-RateLimit-*`` trio describes: the refusing one with the
    longest wait, else ``headline`` (the spec's ``headers_policy``) if given, else the one
    with the fewest remaining units."""
    rejected = [i for i, v in enumerate(verdicts) if not v.allowed]
    if rejected:
        return max(rejected, key=lambda i: (verdicts[i].retry_ms < 0, verdicts[i].retry_ms))
    if headline is not None and headline < len(verdicts):
        return headline
    return min(range(len(verdicts)), key=lambda i: (verdicts[i].remaining, -verdicts[i].reset_ms))


def limit_headers(
    policy_set: PolicySet, verdicts: Sequence[Verdict], unix_reset: bool = False
) -> Headers:
    """Every rate-limit header for a request that the backend decided.

    ``unix_reset``: ``X-RateLimit-Reset`` is the Unix time of the reset (this host's clock)
    instead of seconds from now.
    """
    index = tightest(verdicts, policy_set.headline)
    policy, verdict = policy_set.policies[index], verdicts[index]
    if unix_reset:
        reset = math.ceil(time.time() + _reset_ms(verdict) / 1000)
    else:
        reset = _seconds(_reset_ms(verdict))
    live = ", ".join(
        f"{_item(p)};r={v.remaining};t={_seconds(_reset_ms(v))}"
        for p, v in zip(policy_set.policies, verdicts, strict=True)
    )
    return [
        (b"x-ratelimit-limit", str(policy.limit).encode()),
        (b"x-ratelimit-remaining", str(verdict.remaining).encode()),
        (b"x-ratelimit-reset", str(reset).encode()),
        (b"ratelimit-policy", policy_set.policy_header),
        (b"ratelimit", live.encode("latin-1")),
    ]


def retry_after(verdicts: Sequence[Verdict]) -> int | None:
    """Whole seconds until every rejecting policy admits the request; ``None`` if never."""
    waits = [v.retry_ms for v in verdicts if not v.allowed]
    if any(w < 0 for w in waits):
        return None
    return max(1, _seconds(max(waits)))


def _item(policy: CompiledPolicy) -> str:
    return '"' + policy.name.replace("\\", "\\\\").replace('"', '\\"') + '"'
