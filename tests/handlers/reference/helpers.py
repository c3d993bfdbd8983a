"""Test helpers: the principal wrapper and shortcuts that create resources through the API."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from specway.principal import Principal
from specway.types import SCOPE_PRINCIPAL, ASGIApp, Receive, Scope, Send

ALL_SCOPES = "read,write,delete"


class PrincipalFromHeaders:
    """Test-only: ``X-Test-Org`` (and ``X-Test-Scopes``) become the request's principal."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            org = headers.get(b"x-test-org")
            if org is not None:
                scopes = headers.get(b"x-test-scopes", ALL_SCOPES.encode()).decode()
                scope[SCOPE_PRINCIPAL] = Principal(
                    kind="api_key",
                    id="key_test",
                    organization_id=org.decode(),
                    user_id=f"usr_{org.decode()}",
                    scopes=frozenset(s for s in scopes.split(",") if s),
                )
        await self.app(scope, receive, send)


def as_org(org: str, scopes: str = ALL_SCOPES) -> dict[str, str]:
    """Headers that make the wrapper act as organisation ``org`` with ``scopes``."""
    return {"X-Test-Org": org, "X-Test-Scopes": scopes}


def make_project(client: TestClient, org: str | None = None, name: str = "Web Application") -> str:
    headers = as_org(org) if org else {}
    response = client.post("/v1/projects", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def make_environment(
    client: TestClient,
    project_id: str,
    org: str | None = None,
    name: str = "production",
    environment_type: str = "production",
) -> dict[str, Any]:
    headers = as_org(org) if org else {}
    body = {"name": name, "project": project_id, "environment_type": environment_type}
    response = client.post("/v1/environments", json=body, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def make_variable(
    client: TestClient, environment_id: str, key: str, value: str, org: str | None = None
) -> dict[str, Any]:
    headers = as_org(org) if org else {}
    body = {"key": key, "value": value, "environment": environment_id}
    response = client.post("/v1/variables", json=body, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data
