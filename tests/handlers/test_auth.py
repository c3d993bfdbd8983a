"""``/v1/auth``: register, login, logout, profile."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from tests.plugins.auth.support import PASSWORD, bearer, mint_key, register, token_headers


def test_register_returns_token_user_and_personal_organization(
    app_factory: Callable[..., TestClient],
) -> None:
    client = app_factory()
    response = client.post(
        "/v1/auth/register",
        json={
            "username": "newuser",
            "email": "John@Example.com",
            "password": PASSWORD,
            "confirm_password": PASSWORD,
            "first_name": "John",
            "last_name": "Doe",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "User registered successfully"
    assert re.fullmatch(r"[0-9a-f]{40}", body["token"])
    assert body["user"]["email"] == "john@example.com"
    assert body["user"]["full_name"] == "John Doe"
    assert body["organization"]["name"] == "John's Organization"
    orgs = client.get("/v1/organizations", headers=token_headers(body["token"])).json()["data"]
    assert [(o["id"], o["user_role"], o["member_count"]) for o in orgs] == [
        (body["organization"]["id"], "admin", 1)
    ]


def test_register_conflicts_and_bad_fields(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory()
    register(client, email="taken@example.com", username="taken")
    again = client.post(
        "/v1/auth/register", json={"email": "TAKEN@example.com", "password": PASSWORD}
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    same_name = client.post(
        "/v1/auth/register",
        json={"email": "other@example.com", "password": PASSWORD, "username": "taken"},
    )
    assert same_name.status_code == 409
    cases = [
        ({"email": "a@example.com"}, "password"),
        ({"password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": "short"}, "password"),
        ({"email": "a@example.com", "password": "password123"}, "password"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        (
            {"email": "a@example.com", "password": PASSWORD, "confirm_password": "other-pass-1"},
            "confirm_password",
        ),
    ]
    for body, field in cases:
        response = client.post("/v1/auth/register", json=body)
        assert response.status_code == 400, (body, response.text)
        assert field in [d["field"] for d in response.json()["error"]["details"]], body


def test_login_logout_and_profile(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory()
    user = register(client, email="login@example.com", first_name="Ada")
    login = client.post("/v1/auth/login", json={"email": "Login@example.com", "password": PASSWORD})
    assert login.status_code == 200
    token = login.json()["token"]
    assert re.fullmatch(r"[0-9a-f]{40}", token)
    assert token != user["token"]
    assert login.json()["organization"]["id"] == user["organization"]["id"]

    profile = client.get("/v1/auth/profile", headers=token_headers(token))
    assert profile.status_code == 200
    assert profile.json()["email"] == "login@example.com"
    assert profile.json()["is_active"] is True
    assert profile.json()["last_login"] is not None

    out = client.post("/v1/auth/logout", headers=token_headers(token))
    assert out.status_code == 200
    assert out.json() == {"message": "Successfully logged out"}
    dead = client.get("/v1/auth/profile", headers=token_headers(token))
    assert dead.status_code == 401
    assert "www-authenticate" in dead.headers
    assert client.get("/v1/auth/profile", headers=bearer(token)).status_code == 401
    # The registration session is a different token and still works.
    assert client.get("/v1/auth/profile", headers=token_headers(user["token"])).status_code == 200


def test_unknown_email_and_wrong_password_look_the_same(
    app_factory: Callable[..., TestClient],
) -> None:
    client = app_factory()
    register(client, email="known@example.com")
    wrong = client.post(
        "/v1/auth/login", json={"email": "known@example.com", "password": "nope-nope"}
    )
    unknown = client.post(
        "/v1/auth/login", json={"email": "unknown@example.com", "password": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    strip = [
        {k: v for k, v in r.json()["error"].items() if k != "request_id"} for r in (wrong, unknown)
    ]
    assert strip[0] == strip[1]
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"]


def test_login_into_another_organization(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory()
    owner = register(client)
    guest = register(client, email="guest@example.com")
    org_id = owner["organization"]["id"]
    added = client.post(
        f"/v1/organizations/{org_id}/members",
        json={"email": "guest@example.com", "role": "viewer"},
        headers=token_headers(owner["token"]),
    )
    assert added.status_code == 201
    login = client.post(
        "/v1/auth/login",
        json={"email": "guest@example.com", "password": PASSWORD, "organization_id": org_id},
    )
    assert login.status_code == 200
    token = login.json()["token"]
    assert client.get("/v1/projects", headers=token_headers(token)).status_code == 200
    refused = client.post("/v1/projects", json={"name": "x"}, headers=token_headers(token))
    assert refused.status_code == 403  # viewers read only
    outsider = client.post(
        "/v1/auth/login",
        json={
            "email": "guest@example.com",
            "password": PASSWORD,
            "organization_id": "org_doesnotexist",
        },
    )
    assert outsider.status_code == 400
    assert guest["organization"]["id"] != org_id


def test_logout_with_an_api_key_is_400(
    app_factory: Callable[..., TestClient],
) -> None:
    client = app_factory()
    user = register(client)
    key = mint_key(client, user["token"], ["read"])
    response = client.post("/v1/auth/logout", headers=bearer(key["key"]))
    assert response.status_code == 400
    assert client.get("/v1/projects", headers=bearer(key["key"])).status_code == 200


@pytest.mark.parametrize("path", ["/v1/auth/profile", "/v1/organizations", "/v1/api-keys"])
def test_protected_endpoints_need_credentials(
    app_factory: Callable[..., TestClient], path: str
) -> None:
    response = app_factory().get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="specway"'
