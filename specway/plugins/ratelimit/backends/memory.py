"""The in-process backend: the same algorithms as the Lua script, for one process.

The embedded default when no Redis URL is set, and the test double: the clock is injectable
(``MemoryBackend(clock=...)`` or the ``clock`` attribute), so tests move time instead of sleeping.
A check and its write happen without an ``await`` in between, which makes them atomic on the
event loop. Expired entries are dropped lazily, in a sweep every few thousand writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from specway.plugins.ratelimit.algorithms import (
    GCRA,
    SlidingState,
    Verdict,
    gcra,
    sliding_window,
    unconsumed,
)
from specway.plugins.ratelimit.backends import PolicyCheck

_SWEEP_EVERY = 4096


class MemoryBackend:
    """Rate-limit state in a dict: ``key -> (expires_at_ms, state)``."""

    name = "memory"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock  # seconds, like time.time
        self._state: dict[str, tuple[float, Any]] = {}
        self._writes = 0

    async def hit(self, checks: Sequence[PolicyCheck], cost: int) -> list[Verdict]:
        now = self.clock() * 1000.0
        verdicts: list[Verdict] = []
        writes: list[tuple[str, float, Any]] = []
        for check in checks:
            entry = self._state.get(check.key)
            stored = entry[1] if entry is not None and entry[0] > now else None
            if check.algorithm == GCRA:
                verdict, tat = gcra(stored, now, check.limit, check.window_ms, cost)
                if tat is not None:
                    writes.append((check.key, tat, tat))
            else:
                previous: SlidingState | None = stored
                verdict, state = sliding_window(previous, now, check.limit, check.window_ms, cost)
                if state is not None:
                    writes.append((check.key, float((state[0] + 2) * check.window_ms), state))
            verdicts.append(verdict)
        if not all(v.allowed for v in verdicts):
            return [unconsumed(v, cost, c.limit) for v, c in zip(verdicts, checks, strict=True)]
        if cost > 0:
            for key, expires_at, new_state in writes:
                self._state[key] = (expires_at, new_state)
            self._writes += 1
            if self._writes % _SWEEP_EVERY == 0:
                self._sweep(now)
        return verdicts

    def _sweep(self, now: float) -> None:
        for key in [k for k, (expires, _) in self._state.items() if expires <= now]:
            del self._state[key]

    @property
    def size(self) -> int:
        """Entries held (expired ones included until the next sweep)."""
        return len(self._state)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._state.clear()
