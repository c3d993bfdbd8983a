"""example.com (seed 003): each deviation issue 30 found, checked against the seed's own example.

Each test quotes the seed lines it checks (``/work/shared/seeds/003_*.txt``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from tests.conftest import AuthIdentity
from tests.examples.seed_support import Client, assert_unix_reset, served


@pytest.fixture
def examplecom(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> Client:
    return served("examplecom", example_client, app_factory, auth_factory)


def test_examplecom_reset_is_unix_time(examplecom: Client) -> None:
    # Seed 003: "X-RateLimit-Reset: 1640995200".
    client, auth = examplecom
    assert_unix_reset(client.get("/v1/projects", headers=auth), 60)


def test_examplecom_validation_details_is_one_object(examplecom: Client) -> None:
    # Seed 003: {"error": {"code": "invalid_request", "message": "A detailed error message",
    #            "details": {"field": "Additional error context"}}}
    client, auth = examplecom
    response = client.post("/v1/users", json={"name": "John Doe"}, headers=auth)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert isinstance(error["details"], dict)
    assert isinstance(error["details"]["field"], str)


def test_examplecom_user_ids_are_user_prefixed(examplecom: Client) -> None:
    # Seed 003 (and the example's own spec): {"id": "user_123", "name": "John Doe", ...}.
    client, auth = examplecom
    body = {"name": "John Doe", "email": "john@example.com", "password": "secure_password"}
    created = client.post("/v1/users", json=body, headers=auth)
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    assert user_id.startswith("user_"), user_id
    assert created.headers["location"].endswith(f"/v1/users/{user_id}")
    got = client.get(f"/v1/users/{user_id}", headers=auth)
    assert (got.status_code, got.json()["id"]) == (200, user_id)
    stored = "usr_" + user_id.removeprefix("user_")
    unknown = client.get(f"/v1/users/{stored}", headers=auth)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["details"]["resource_id"] == stored
