"""Helpers of the seed-conformance tests (``test_seed_<example>.py``): a served example with a
key, the seeds' users and resources made as the seeds make them."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from tests.conftest import AuthIdentity

Client = tuple[TestClient, dict[str, str]]


def served(
    name: str,
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> Client:
    """The example ``name`` served, with a key of a fresh tenant (minted on the same database
    through the reference API)."""
    identity = auth_factory(app_factory())
    return example_client(name), identity.headers


def assert_unix_reset(response: Any, window: int) -> None:
    """``X-RateLimit-Reset`` is the Unix time of the window's reset (seeds 000, 002, 003, 004:
    ``X-RateLimit-Reset: 1640995200``), not seconds from now."""
    reset = int(response.headers["X-RateLimit-Reset"])
    now = time.time()
    assert now - 1 <= reset <= now + window + 1, (reset, now)


KEYNEST_USER = {
    "username": "newuser",
    "email": "user@example.com",
    "password": "securepassword123",
    "confirm_password": "securepassword123",
    "first_name": "John",
    "last_name": "Doe",
}


def keynest_token(client: TestClient, **changes: str) -> dict[str, str]:
    registered = client.post("/api/auth/register/", json={**KEYNEST_USER, **changes})
    assert registered.status_code == 201, registered.text
    return {"Authorization": f"Token {registered.json()['token']}"}


def keynest_variable(client: TestClient, auth: dict[str, str]) -> tuple[str, str, str]:
    """(project, environment, variable) ids, made as the seed's examples make them."""
    body = {"name": "Web Application", "description": "Main web application project"}
    project = client.post("/api/projects/", json=body, headers=auth)
    assert project.status_code == 201, project.text
    env_body = {"name": "production", "project": project.json()["id"]}
    env = client.post("/api/environments/", json=env_body, headers=auth)
    assert env.status_code == 201, env.text
    var_body = {
        "key": "API_KEY",
        "value": "sk_live_abcd1234567890",
        "environment": env.json()["id"],
    }
    var = client.post("/api/variables/", json=var_body, headers=auth)
    assert var.status_code == 201, var.text
    return project.json()["id"], env.json()["id"], var.json()["id"]


def hexabase_key(
    client: TestClient, app_factory: Callable[..., TestClient], auth_factory: Callable[..., Any]
) -> dict[str, str]:
    """A key with every scope, for a user registered through the reference API on the same
    database. The served Hexabase example has migrated it already (the reference revisions and
    its own), so the reference app does not migrate: its history lacks the example's revisions."""
    identity = auth_factory(app_factory(auto_migrate=False))
    session = {"Authorization": f"Bearer {identity.session_token}"}
    scopes = ["read", "write", "delete", "admin"]
    made = client.post("/v1/api-keys", json={"name": "k", "scopes": scopes}, headers=session)
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['key']}"}
