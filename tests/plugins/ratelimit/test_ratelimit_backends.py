"""The backends on their own: the same tests on the memory backend (fake clock) and on Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import redis
from rl_support import FakeClock, PrivateRedis

from specway.plugins.ratelimit.algorithms import GCRA, SLIDING_WINDOW
from specway.plugins.ratelimit.backends import PolicyCheck
from specway.plugins.ratelimit.backends.memory import MemoryBackend
from specway.plugins.ratelimit.backends.redis import RedisBackend

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Store:
    backend: MemoryBackend | RedisBackend
    prefix: str
    clock: FakeClock | None

    def gcra(self, name: str, limit: int, window: int) -> PolicyCheck:
        return PolicyCheck(f"{self.prefix}{{t}}:{name}", GCRA, limit, window * 1000)

    def sliding(self, name: str, limit: int, window: int) -> PolicyCheck:
        return PolicyCheck(f"{self.prefix}{{t}}:{name}", SLIDING_WINDOW, limit, window * 1000)

    async def wait_ms(self, ms: float) -> None:
        """Let ``ms`` pass: move the fake clock, or wait on the real one (Redis TIME)."""
        if self.clock is not None:
            self.clock.advance(ms / 1000)
            return
        deadline = time.monotonic() + ms / 1000
        while time.monotonic() < deadline:
            time.sleep(0.01)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield Store(MemoryBackend(clock=clock), "t:", clock)
        return
    prefix: str = request.getfixturevalue("key_prefix")
    backend = RedisBackend("redis://127.0.0.1:6379/0", socket_timeout=0.5)
    yield Store(backend, prefix, None)
    await backend.close()


async def test_gcra_burst_admits_exactly_the_limit(store: Store) -> None:
    burst = store.gcra("burst", 5, 60)
    verdicts = [(await store.backend.hit([burst], 1))[0] for _ in range(8)]
    assert [v.allowed for v in verdicts] == [True] * 5 + [False] * 3
    assert [v.remaining for v in verdicts[:5]] == [4, 3, 2, 1, 0]
    # The bucket refills one unit every 12 s: the next one is at most 12 s away.
    assert all(0 < v.retry_ms <= 12_000 for v in verdicts[5:])
    assert all(v.remaining == 0 and v.reset_ms > 0 for v in verdicts[5:])


async def test_sliding_window_quota_admits_exactly_the_limit(store: Store) -> None:
    quota = store.sliding("hourly", 4, 3600)
    verdicts = [(await store.backend.hit([quota], 1))[0] for _ in range(6)]
    assert [v.allowed for v in verdicts] == [True] * 4 + [False] * 2
    assert [v.remaining for v in verdicts[:4]] == [3, 2, 1, 0]
    assert all(0 < v.reset_ms <= 3_600_000 for v in verdicts)
    assert all(v.retry_ms > 0 for v in verdicts[4:])


async def test_rejected_burst_does_not_consume_the_hourly_quota(store: Store) -> None:
    burst, hourly = store.gcra("burst", 3, 60), store.sliding("hourly", 10, 3600)
    for _ in range(3):
        assert all(v.allowed for v in await store.backend.hit([burst, hourly], 1))
    for _ in range(5):
        b, h = await store.backend.hit([burst, hourly], 1)
        assert not b.allowed
        assert h.allowed
        assert h.remaining == 7
    # Asked alone, the quota shows that the five rejections left no trace.
    (alone,) = await store.backend.hit([hourly], 1)
    assert alone.allowed
    assert alone.remaining == 6


async def test_nothing_is_written_unless_every_policy_passes(store: Store) -> None:
    tight, loose = store.sliding("tight", 1, 3600), store.gcra("loose", 5, 60)
    assert all(v.allowed for v in await store.backend.hit([tight, loose], 1))
    for _ in range(3):
        t, lo = await store.backend.hit([tight, loose], 1)
        assert not t.allowed
        assert lo.allowed
    (alone,) = await store.backend.hit([loose], 1)
    assert alone.remaining == 3  # 5 - the admitted one - this one


async def test_cost_spends_several_units_and_an_impossible_cost_never_passes(
    store: Store,
) -> None:
    burst = store.gcra("burst", 10, 60)
    (v,) = await store.backend.hit([burst], 4)
    assert v.allowed
    assert v.remaining == 6
    (v,) = await store.backend.hit([burst], 7)
    assert not v.allowed
    assert v.remaining == 6
    assert v.retry_ms > 0
    (v,) = await store.backend.hit([burst], 11)
    assert not v.allowed
    assert v.retry_ms == -1
    (v,) = await store.backend.hit([burst], 6)
    assert v.allowed
    assert v.remaining == 0


async def test_retry_before_it_fails(store: Store) -> None:
    slow = store.gcra("slow", 1, 60)  # the next unit is up to 60 s away
    assert (await store.backend.hit([slow], 1))[0].allowed
    (first,) = await store.backend.hit([slow], 1)
    assert not first.allowed
    assert 59_000 < first.retry_ms <= 60_000
    if store.clock is not None:  # on Redis, the immediate retry is the early one
        await store.wait_ms(first.retry_ms / 2)
    (early,) = await store.backend.hit([slow], 1)
    assert not early.allowed
    assert early.retry_ms <= first.retry_ms


async def test_retry_after_it_succeeds(store: Store) -> None:
    tick = store.gcra("tick", 2, 2)  # one unit back every second
    for _ in range(2):
        assert (await store.backend.hit([tick], 1))[0].allowed
    (rejected,) = await store.backend.hit([tick], 1)
    assert not rejected.allowed
    assert 0 < rejected.retry_ms <= 1000
    await store.wait_ms(rejected.retry_ms)
    assert (await store.backend.hit([tick], 1))[0].allowed


async def test_sliding_retry_after_is_exact_on_the_memory_clock(clock: FakeClock) -> None:
    backend = MemoryBackend(clock=clock)
    clock.now = 3600 * 500_000 + 1800.0  # half way through an hourly window
    quota = PolicyCheck("q", SLIDING_WINDOW, 4, 3_600_000)
    for _ in range(4):
        assert (await backend.hit([quota], 1))[0].allowed
    (v,) = await backend.hit([quota], 1)
    # Full current window: wait for it to end and decay to 3 → (W - e) + W/4 = 1800 + 900 s.
    assert v.retry_ms == 2_700_000
    clock.advance(2_700 - 0.001)
    assert not (await backend.hit([quota], 1))[0].allowed
    clock.advance(0.001)
    assert (await backend.hit([quota], 1))[0].allowed


async def test_gcra_refills_smoothly_on_the_memory_clock(clock: FakeClock) -> None:
    backend = MemoryBackend(clock=clock)
    clock.now = 1_000_000.0  # small enough for exact millisecond sums in float seconds
    burst = PolicyCheck("b", GCRA, 6, 60_000)  # one unit back every 10 s
    for _ in range(6):
        assert (await backend.hit([burst], 1))[0].allowed
    (v,) = await backend.hit([burst], 1)
    assert not v.allowed
    assert v.retry_ms == 9_999
    clock.advance(9.998)
    assert not (await backend.hit([burst], 1))[0].allowed
    clock.advance(0.001)
    assert (await backend.hit([burst], 1))[0].allowed
    clock.advance(60)
    verdicts = [(await backend.hit([burst], 1))[0].allowed for _ in range(7)]
    assert verdicts == [True] * 6 + [False]


async def test_memory_backend_sweeps_expired_entries(clock: FakeClock) -> None:
    backend = MemoryBackend(clock=clock)
    for i in range(5000):
        await backend.hit([PolicyCheck(f"k{i}", GCRA, 10, 1000)], 1)
        clock.advance(0.01)
    assert backend.size < 5000


@pytest.mark.redis
async def test_one_evalsha_per_request_and_reload_after_script_flush(
    private_redis: PrivateRedis,
) -> None:
    backend = RedisBackend(private_redis.url, socket_timeout=0.5)
    admin = redis.Redis(port=private_redis.port)
    checks = [
        PolicyCheck("{c}:burst", GCRA, 100, 60_000),
        PolicyCheck("{c}:hourly", SLIDING_WINDOW, 1000, 3_600_000),
    ]
    try:
        await backend.hit(checks, 1)  # loads the script (NOSCRIPT → SCRIPT LOAD → EVALSHA)
        admin.config_resetstat()
        for _ in range(20):
            await backend.hit(checks, 1)
        stats = admin.info("commandstats")
        calls = {k.removeprefix("cmdstat_"): v["calls"] for k, v in stats.items()}
        calls.pop("config|resetstat")
        # One client command per request; the rest ran inside the script.
        assert calls.pop("evalsha") == 20
        assert set(calls) <= {"time", "get", "set", "hmget", "hset", "pexpireat"}
        assert calls["time"] == 20
        admin.script_flush()
        verdicts = await backend.hit(checks, 1)
        assert all(v.allowed for v in verdicts)
        assert verdicts[0].remaining == 78
    finally:
        admin.close()
        await backend.close()


@pytest.mark.redis
async def test_concurrent_calls_share_pipelines_and_survive_a_lost_script(
    private_redis: PrivateRedis,
) -> None:
    backend = RedisBackend(private_redis.url, socket_timeout=0.5)
    admin = redis.Redis(port=private_redis.port)
    burst = PolicyCheck("{p}:burst", GCRA, 40, 3_600_000)
    try:
        await backend.hit([burst], 1)
        admin.script_flush()  # every call of the next batch meets NOSCRIPT
        admin.config_resetstat()
        verdicts = await asyncio.gather(*(backend.hit([burst], 1) for _ in range(50)))
        assert sorted(v[0].remaining for v in verdicts if v[0].allowed) == list(range(39))
        assert sum(not v[0].allowed for v in verdicts) == 11
        calls = {k: v["calls"] for k, v in admin.info("commandstats").items()}
        assert calls["cmdstat_script|load"] == 1
        clients = admin.info("stats")["total_connections_received"]
        assert clients < 10  # one pipeline per loop iteration, not one connection per call
    finally:
        admin.close()
        await backend.close()
