"""Redis dies, hangs and comes back: a private ``redis-server`` started and killed by the test.

Fail-open operations go on without limit headers, fail-closed ones answer 503 in the envelope,
never a 5xx from a crash; the outage is logged once; limiting resumes by itself (the restarted
server has lost the script, so this also covers the reload on ``NOSCRIPT``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rl_support import SCENARIOS, PrivateRedis, wait_until
from starlette.testclient import TestClient

from specway.app import create_app
from specway.plugins.ratelimit import RateLimiter
from specway.settings import Settings

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_app(tmp_path: Path, private_redis: PrivateRedis) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**config: Any) -> TestClient:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'rl.db'}",
            secret_key="test-secret-key-0123456789abcdef",
            redis_url=private_redis.url,
            redis_socket_timeout=0.2,
        )
        plugin_config = {"breaker_failures": 2, "breaker_cooldown": 0.05, **config}
        app = create_app(SCENARIOS, settings, plugin_config={"ratelimit": plugin_config})
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def limiter_of(client: TestClient) -> RateLimiter:
    limiter: RateLimiter = client.app.state.services["ratelimit"]  # type: ignore[attr-defined]
    return limiter


def limited(client: TestClient) -> bool:
    return "x-ratelimit-limit" in client.get("/items").headers


def assert_failure_modes(client: TestClient) -> None:
    for _ in range(30):  # far above the limit of 20: nothing is being counted
        response = client.get("/items")
        assert response.status_code == 200
        assert "x-ratelimit-limit" not in response.headers
    strict = client.get("/strict")
    assert strict.status_code == 503
    assert strict.json()["error"]["code"] == "service_unavailable"
    assert strict.json()["error"]["request_id"] == strict.headers["x-request-id"]
    assert strict.headers["retry-after"] == "1"


def test_redis_down_fails_open_or_closed_and_limiting_resumes(
    redis_app: Callable[..., TestClient],
    private_redis: PrivateRedis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "specway.ratelimit")
    client = redis_app()
    assert client.get("/items").headers["x-ratelimit-remaining"] == "19"
    assert client.get("/strict").status_code == 200

    private_redis.kill()
    assert_failure_modes(client)
    stats = limiter_of(client).stats
    assert stats.breaker_state in ("open", "half_open")
    assert stats.failed_open >= 30
    assert stats.failed_closed >= 1

    private_redis.start()
    wait_until(lambda: limited(client), what="limiting to resume after the restart")
    statuses = [client.get("/items").status_code for _ in range(21)]
    assert statuses.count(429) >= 1  # counting again (the restarted server starts empty)
    assert stats.breaker_state == "closed"
    opened = [r for r in caplog.records if "circuit open" in r.getMessage()]
    closed = [r for r in caplog.records if "circuit closed" in r.getMessage()]
    assert len(opened) == 1
    assert len(closed) == 1
    assert stats.breaker_opened >= 1
    assert stats.breaker_closed == 1


def test_hung_redis_answers_within_the_socket_timeout_then_resumes(
    redis_app: Callable[..., TestClient], private_redis: PrivateRedis
) -> None:
    client = redis_app()
    assert limited(client)
    private_redis.freeze()
    try:
        assert_failure_modes(client)
        assert limiter_of(client).stats.backend_errors >= 2
    finally:
        private_redis.thaw()
    wait_until(lambda: limited(client), what="limiting to resume after SIGCONT")


def test_redis_down_at_startup_is_not_fatal(
    redis_app: Callable[..., TestClient], private_redis: PrivateRedis
) -> None:
    private_redis.kill()
    client = redis_app(breaker_failures=1)
    assert_failure_modes(client)
    private_redis.start()
    wait_until(lambda: limited(client), what="limiting to start once Redis is up")
