"""A timeout that blames Redis only when the event loop is not itself the reason for the wait.

An asyncio timeout measures wall time, including the time this process spends busy elsewhere. A
burst of a few hundred concurrent requests can stall one event loop for longer than the Redis
socket timeout; a plain timeout would then call a healthy Redis "down" and fail open exactly when
a client floods us. :class:`LoopLag` samples how late the loop wakes up; :class:`LagAwareDeadline`
expires a call after ``timeout`` unless the loop is lagging, in which case it keeps waiting, up to
a hard cap. A dead or hung Redis on an idle loop still fails within ``timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

_SAMPLE_EVERY = 0.05


class LoopLag:
    """How late the event loop currently runs its callbacks (seconds, decaying maximum)."""

    def __init__(self) -> None:
        self.lag = 0.0
        self._task: asyncio.Task[None] | None = None

    def ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._sample())

    async def _sample(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(_SAMPLE_EVERY)
            late = loop.time() - started - _SAMPLE_EVERY
            self.lag = max(late, self.lag / 2)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None


class LagAwareDeadline:
    """``async with deadline():`` raises ``TimeoutError`` like ``asyncio.timeout(timeout)``,
    but gives a lagging loop more time (at most ``hard_cap`` seconds in all)."""

    def __init__(self, timeout: float, hard_cap: float, lag: LoopLag | None = None) -> None:
        self.timeout = timeout
        self.hard_cap = max(hard_cap, timeout)
        self.lag = lag or LoopLag()
        # The loop counts as lagging when it wakes up a quarter of the timeout late.
        self.tolerance = timeout / 4

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[None]:
        self.lag.ensure_running()
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with asyncio.timeout(None) as timeout:

            def check(scheduled: float) -> None:
                late = loop.time() - scheduled
                lagging = late > self.tolerance or self.lag.lag > self.tolerance
                if lagging and loop.time() < started + self.hard_cap:
                    when = loop.time() + self.timeout
                    handle[0] = loop.call_at(when, check, when)
                else:
                    timeout.reschedule(loop.time())  # expire now: cancels the awaited call

            first = started + self.timeout
            handle = [loop.call_at(first, check, first)]
            try:
                yield
            finally:
                handle[0].cancel()

    def stop(self) -> None:
        self.lag.stop()
