"""Fixtures of the webhooks tests (helpers live in ``webhooks_support``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from webhooks_support import (
    REFERENCE_SPEC,
    PrincipalStubPlugin,
    Receiver,
    make_settings,
)

from specway.app import SpecwayApp, create_app
from specway.plugins import registry
from specway.spec import SpecModel, load_model


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP receiver on 127.0.0.1 (a free port), stopped afterwards."""
    found = Receiver()
    found.start()
    yield found
    if found.hold is not None:
        found.hold.set()
    found.stop()


@pytest.fixture(scope="session")
def reference_model() -> SpecModel:
    return load_model(REFERENCE_SPEC)


@pytest.fixture
def api_factory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., TestClient]]:
    """The reference API with the webhooks plugin and the test principal, as a TestClient."""
    # Registered like a built-in: the app and the migration runner look plugins up there.
    target = f"{PrincipalStubPlugin.__module__}:{PrincipalStubPlugin.__qualname__}"
    monkeypatch.setitem(registry.BUILTIN, "test_principal", target)
    clients: list[TestClient] = []

    def make(database_url: str | None = None, **settings: Any) -> TestClient:
        url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'api.db'}"
        app: SpecwayApp = create_app(
            REFERENCE_SPEC,
            make_settings(url, **settings),
            plugins=("request_id", "errors", "test_principal", "webhooks"),
        )
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)
