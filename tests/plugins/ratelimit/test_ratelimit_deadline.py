"""The lag-aware deadline: a hung call fails on an idle loop; a busy loop is not blamed on Redis."""

from __future__ import annotations

import asyncio
import time

import pytest

from specway.plugins.ratelimit.deadline import LagAwareDeadline, LoopLag

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FixedLag(LoopLag):
    def __init__(self, lag: float) -> None:
        super().__init__()
        self.lag = lag

    def ensure_running(self) -> None:
        return None


async def answer_after_blocking_the_loop(block: float) -> str:
    """A reply that arrives (like a socket read callback) once the loop was stalled by other
    work for ``block`` seconds, in the same loop iteration as any timer that fell due."""
    ready = asyncio.Event()
    loop = asyncio.get_running_loop()

    def busy() -> None:
        time.sleep(block)  # another request's CPU-bound work, holding the loop
        loop.call_soon(ready.set)

    loop.call_soon(busy)
    await ready.wait()
    return "reply"


async def test_a_hung_call_fails_on_an_idle_loop() -> None:
    deadline = LagAwareDeadline(0.05, hard_cap=5.0)
    with pytest.raises(TimeoutError):
        async with deadline():
            await asyncio.Event().wait()
    deadline.stop()


async def test_a_plain_timeout_blames_the_backend_for_a_stalled_loop() -> None:
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await answer_after_blocking_the_loop(0.2)


async def test_the_lag_aware_deadline_waits_for_a_stalled_loop() -> None:
    deadline = LagAwareDeadline(0.05, hard_cap=5.0)
    async with deadline():
        assert await answer_after_blocking_the_loop(0.2) == "reply"
    deadline.stop()


async def test_a_lagging_loop_gets_at_most_the_hard_cap() -> None:
    deadline = LagAwareDeadline(0.02, hard_cap=0.1, lag=FixedLag(1.0))
    with pytest.raises(TimeoutError):
        async with deadline():
            await asyncio.Event().wait()


async def test_loop_lag_is_sampled() -> None:
    lag = LoopLag()
    lag.ensure_running()
    await asyncio.sleep(0.06)
    time.sleep(0.2)
    await asyncio.sleep(0.01)  # the overdue sampler runs first
    assert lag.lag > 0.1
    lag.stop()
