"""Idempotency fixtures: apps on the memory or the real Redis backend, with the real auth plugin.

Callers of the reference API are real users and keys (``auth_factory``); the scenario spec's
operations are public, so there the caller is the client IP.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from specway.app import create_app
from specway.errors import NotFound
from specway.settings import Settings
from specway.types import ASGIApp, Receive, Scope, Send, header

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = ROOT / "openapi.yaml"
SCENARIO = ROOT / "tests" / "fixtures" / "idempotency" / "openapi.yaml"
REDIS_URL = os.environ.get("SPECWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def with_peer_header(app: ASGIApp) -> ASGIApp:
    """Test-only wrapper: ``X-Test-Peer: <ip>`` sets the socket peer address of the request."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        peer = header(scope, b"x-test-peer") if scope["type"] == "http" else None
        if peer:
            scope["client"] = (peer.decode(), 40000)
        await app(scope, receive, send)

    return wrapped


class Jobs:
    """Scenario handlers; ``entered``/``release`` let a test hold a request in flight."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.counter = itertools.count(1)
        self.calls: dict[str, int] = {"createJob": 0, "createFlaky": 0, "createMissing": 0}
        self.missing = True

    async def create_job(self, body: dict[str, Any]) -> Any:
        self.calls["createJob"] += 1
        if body.get("block"):
            self.entered.set()
            await asyncio.to_thread(self.release.wait, 10)
        return {"id": f"job_{next(self.counter)}", "name": body.get("name")}, 201

    async def create_flaky(self) -> Any:
        self.calls["createFlaky"] += 1
        if self.calls["createFlaky"] == 1:
            return {"error": "try again"}, 500
        return {"id": "flaky_ok"}, 201

    async def create_missing(self) -> Any:
        self.calls["createMissing"] += 1
        if self.missing:
            raise NotFound("not yet")
        return {"id": "found"}, 201

    async def create_quiet(self) -> Any:
        return {"id": f"quiet_{next(self.counter)}"}, 201

    def handlers(self) -> dict[str, Callable[..., Any]]:
        return {
            "createJob": self.create_job,
            "createFlaky": self.create_flaky,
            "createMissing": self.create_missing,
            "createQuiet": self.create_quiet,
        }


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings for each backend: in-process memory, or the real Redis."""
    return {"redis_url": REDIS_URL} if request.param == "redis" else {}


@pytest.fixture
def make_client(
    settings_factory: Callable[..., Settings],
) -> Iterator[Callable[..., TestClient]]:
    """``make_client(spec=..., handlers=..., plugin_config=..., **settings)``: a started client
    of an app with the auth and idempotency plugins (``peer_header=True``: ``X-Test-Peer``
    sets the client address)."""
    clients: list[TestClient] = []

    def make(
        spec: Path = REFERENCE,
        *,
        handlers: dict[str, Callable[..., Any]] | None = None,
        plugin_config: dict[str, dict[str, Any]] | None = None,
        peer_header: bool = False,
        **settings: Any,
    ) -> TestClient:
        app: ASGIApp = create_app(
            spec,
            settings_factory(**settings),
            handlers=handlers,
            plugins=("auth", "idempotency"),
            plugin_config=plugin_config,
        )
        if peer_header:
            app = with_peer_header(app)
        test_client = TestClient(app, raise_server_exceptions=False)
        test_client.__enter__()
        clients.append(test_client)
        return test_client

    yield make
    for test_client in reversed(clients):
        test_client.__exit__(None, None, None)


@pytest.fixture
def jobs() -> Jobs:
    return Jobs()
