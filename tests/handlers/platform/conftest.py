"""Fixtures for the platform handlers (deployments, config, monitoring, batch, health).

The reference spec's operations need credentials; until the auth plugin is merged the apps
here run the ``fake_auth`` test plugin (see :mod:`fake_auth`). With the real plugin, replace
it with API keys minted through ``plugins.auth`` (same scopes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from specway.plugins.registry import BUILTIN
from tests.handlers.platform.fake_auth import bearer

PLUGINS = ("request_id", "errors", "project_metrics", "fake_auth")


@pytest.fixture
def platform_app(
    app_factory: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., TestClient]:
    """``make(**settings)``: the reference API with project metrics and test credentials."""
    monkeypatch.setitem(BUILTIN, "fake_auth", "fake_auth:FakeAuthPlugin")

    def make(*, org: str | None = None, scopes: str | None = None, **settings: Any) -> TestClient:
        client = app_factory(plugins=PLUGINS, **settings)
        client.headers.update(bearer(org) if scopes is None else bearer(org, scopes))
        return client

    return make


def new_project(client: TestClient, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/projects", json={"name": "Web", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
