"""Both backends honour the same contract: reserve once, finish/release by owner, expire."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from specway.plugins.idempotency.backends import Existing, IdempotencyBackend
from specway.plugins.idempotency.backends.memory import MemoryBackend
from specway.plugins.idempotency.backends.redis import RedisBackend

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _contract(backend: IdempotencyBackend) -> None:
    key = f"specway:idem:test:{secrets.token_hex(8)}"
    assert await backend.begin(key, "fp1", "owner-a", 5) is None
    assert await backend.begin(key, "fp2", "owner-b", 5) == Existing("fp1", None)
    assert await backend.finish(key, "owner-b", "stolen", 60) is False
    await backend.release(key, "owner-b")
    assert await backend.begin(key, "fp1", "owner-c", 5) == Existing("fp1", None)
    assert await backend.finish(key, "owner-a", "sealed-response", 60) is True
    assert await backend.begin(key, "fp1", "owner-d", 5) == Existing("fp1", "sealed-response")
    await backend.release(key, "owner-a")  # finished records are not released
    assert await backend.begin(key, "fp1", "owner-e", 5) == Existing("fp1", "sealed-response")
    other = key + ":released"
    assert await backend.begin(other, "fp", "owner-a", 5) is None
    await backend.release(other, "owner-a")
    assert await backend.begin(other, "fp", "owner-b", 5) is None


@pytest.mark.parametrize("kind", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
def test_backend_contract(kind: str) -> None:
    async def run() -> None:
        backend: IdempotencyBackend = (
            RedisBackend(REDIS_URL) if kind == "redis" else MemoryBackend()
        )
        try:
            await backend.ping()
            await _contract(backend)
        finally:
            await backend.close()

    asyncio.run(run())


def test_memory_backend_expires_and_is_bounded() -> None:
    now = [1000.0]
    backend = MemoryBackend(max_entries=3, clock=lambda: now[0])

    async def run() -> None:
        assert await backend.begin("a", "fp", "o", 10) is None
        now[0] += 11  # the in-flight lock ran out: the key is free again
        assert await backend.begin("a", "fp", "o2", 10) is None
        assert await backend.finish("a", "o2", "r", 100) is True
        now[0] += 50
        assert await backend.begin("a", "fp", "o3", 10) == Existing("fp", "r")
        now[0] += 51
        assert await backend.begin("a", "fp", "o4", 10) is None
        for name in "bcd":
            await backend.begin(name, "fp", "o", 10)
        assert list(backend.records) == ["b", "c", "d"]

    asyncio.run(run())
