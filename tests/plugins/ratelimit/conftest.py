"""Fixtures of the rate-limit tests: backends (memory and real Redis), a fake clock, the
scenario app, a private ``redis-server`` and live ``specway serve`` processes."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from rl_support import (
    REDIS_URL,
    SCENARIOS,
    BackendCase,
    FakeClock,
    LiveServer,
    PrivateRedis,
    wait_until,
)
from starlette.testclient import TestClient

from specway.app import create_app
from specway.settings import Settings

BACKENDS = ["memory", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def key_prefix() -> Iterator[str]:
    """A Redis key prefix of this test alone; its keys are deleted afterwards."""
    prefix = f"specway:test:rl:{secrets.token_hex(6)}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(params=BACKENDS)
def backend_case(request: pytest.FixtureRequest, clock: FakeClock) -> BackendCase:
    """Each test runs on the memory backend (fake clock) and on the real Redis."""
    if request.param == "memory":
        return BackendCase("memory", clock)
    prefix: str = request.getfixturevalue("key_prefix")
    return BackendCase(
        "redis", None, settings={"redis_url": REDIS_URL, "ratelimit_key_prefix": prefix}
    )


@pytest.fixture
def rl_app(tmp_path: Path, backend_case: BackendCase) -> Iterator[Callable[..., TestClient]]:
    """Build the scenario app on the case's backend; returns a started ``TestClient``."""
    clients: list[TestClient] = []

    def make(spec: Path = SCENARIOS, config: dict[str, Any] | None = None, **settings: Any) -> Any:
        values: dict[str, Any] = {
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'rl.db'}",
            "secret_key": "test-secret-key-0123456789abcdef",
            **backend_case.settings,
            **settings,
        }
        plugin_config: dict[str, Any] = dict(config or {})
        if backend_case.kind == "memory":
            plugin_config.setdefault("backend", backend_case.backend())
        app = create_app(spec, Settings(**values), plugin_config={"ratelimit": plugin_config})
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.proc is not None:
            server.thaw()
        server.kill()


@pytest.fixture
def live_servers(tmp_path: Path) -> Iterator[Callable[..., list[LiveServer]]]:
    """Start app processes (each with its own clock skew) and wait until all answer."""
    started: list[LiveServer] = []

    def start(env: dict[str, str], skews: tuple[float, ...] = (0.0, 0.0)) -> list[LiveServer]:
        servers = [LiveServer(tmp_path, env, skew) for skew in skews]
        started.extend(servers)
        for server in servers:
            wait_until(server.ready, timeout=30, what=f"server on {server.base}")
        return servers

    yield start
    for server in started:
        log = server.stop()
        assert "Traceback" not in log, log[-4000:]
