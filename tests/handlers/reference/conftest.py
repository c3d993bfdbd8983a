"""Fixtures for the workspace, environment and variable tests.

The reference spec guards these operations with ``bearerAuth``; the auth plugin (built in
parallel) is what will verify tokens. These tests instead run a copy of the spec without
``security`` and put the principal into the scope themselves, from test headers, with the small
ASGI wrapper in ``helpers``: exactly where the auth plugin will put it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from specway.app import create_app
from specway.settings import Settings
from tests.conftest import write_variant

from .helpers import PrincipalFromHeaders

ROOT = Path(__file__).resolve().parents[3]
PLUGINS = ("request_id", "errors")


@pytest.fixture(scope="session")
def unsecured_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference spec with every operation's ``security`` emptied."""
    document: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text("utf-8"))
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "security" in operation:
                operation["security"] = []
    return write_variant(document, tmp_path_factory.mktemp("spec"))


@pytest.fixture
def platform_factory(
    settings_factory: Callable[..., Settings], unsecured_spec: Path
) -> Iterator[Callable[..., TestClient]]:
    """Start the reference API (request_id + errors) behind :class:`PrincipalFromHeaders`."""
    clients: list[TestClient] = []

    def make(*, plugins: tuple[str, ...] = PLUGINS, **settings: Any) -> TestClient:
        app = create_app(unsecured_spec, settings_factory(**settings), plugins=plugins)
        client = TestClient(PrincipalFromHeaders(app), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def platform(platform_factory: Callable[..., TestClient], database_url: str) -> TestClient:
    """The reference API on SQLite and on PostgreSQL."""
    return platform_factory(database_url=database_url)
