"""The limiter's decisions reach /metrics: specway_ratelimit_decisions and backend errors."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from specway.errors import StorageError
from specway.plugins.metrics.counters import REGISTRY
from specway.plugins.ratelimit.algorithms import GCRA, Verdict
from specway.plugins.ratelimit.backends import PolicyCheck
from specway.plugins.ratelimit.backends.memory import MemoryBackend
from specway.plugins.ratelimit.limiter import RateLimiter


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _decisions() -> dict[tuple[str, str], float]:
    keys = [
        ("allowed", ""),
        ("limited", "burst"),
        ("limited", "hourly"),
        ("failed_open", ""),
        ("failed_closed", ""),
    ]
    return {
        (d, p): _sample("specway_ratelimit_decisions_total", decision=d, policy=p) for d, p in keys
    }


class _Down(MemoryBackend):
    name = "redis"

    async def hit(self, checks: Sequence[PolicyCheck], cost: int) -> list[Verdict]:
        raise StorageError("rate-limit backend failed: ConnectionError")


def test_each_decision_is_counted_with_the_refusing_policy() -> None:
    before = _decisions()
    errors_before = _sample("specway_backend_errors_total", backend="redis", component="ratelimit")

    async def run() -> None:
        limiter = RateLimiter(MemoryBackend())
        checks = [PolicyCheck("m:burst", GCRA, 2, 60_000), PolicyCheck("m:hourly", GCRA, 5, 60_000)]
        names = ["burst", "hourly"]
        kinds = [(await limiter.check(checks, names, 1, "open")).kind for _ in range(3)]
        assert kinds == ["allowed", "allowed", "rejected"]
        down = RateLimiter(_Down())
        assert (await down.check(checks, names, 1, "open")).kind == "failed_open"
        assert (await down.check(checks, names, 1, "closed")).kind == "failed_closed"

    asyncio.run(run())
    after = _decisions()
    assert {k: after[k] - before[k] for k in after} == {
        ("allowed", ""): 2,
        ("limited", "burst"): 1,
        ("limited", "hourly"): 0,
        ("failed_open", ""): 1,
        ("failed_closed", ""): 1,
    }
    errors = _sample("specway_backend_errors_total", backend="redis", component="ratelimit")
    assert errors - errors_before == 2
