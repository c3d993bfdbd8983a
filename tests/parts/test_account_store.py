"""Issue 32: the ``accounts`` part on the store path (``AccountStore``) behaves the same on
SQLite and PostgreSQL: registration (one read, one write), login (the user, the organisation
to act in, one write), logout and the profile."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from tests.plugins.auth.support import PASSWORD, register, token_headers


def test_register_login_logout_profile(
    app_factory: Callable[..., TestClient], database_url: str
) -> None:
    client = app_factory(database_url=database_url)
    user = register(client, "Ada@Example.com", username="ada", first_name="Ada")
    assert user["user"]["email"] == "ada@example.com"
    assert user["user"]["full_name"] == "Ada"
    assert user["organization"]["name"] == "Ada's Organization"
    again = client.post(
        "/v1/auth/register", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert again.status_code == 409
    assert again.json()["error"]["details"][0]["field"] == "email"
    taken = client.post(
        "/v1/auth/register",
        json={"email": "other@example.com", "password": PASSWORD, "username": "ada"},
    )
    assert taken.status_code == 409
    assert taken.json()["error"]["details"][0]["field"] == "username"

    login = client.post("/v1/auth/login", json={"email": "ADA@example.com", "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["organization"] == user["organization"]
    wrong = client.post("/v1/auth/login", json={"email": "ada@example.com", "password": "nope"})
    assert wrong.status_code == 401
    elsewhere = client.post(
        "/v1/auth/login",
        json={"email": "ada@example.com", "password": PASSWORD, "organization_id": "org_x"},
    )
    assert elsewhere.status_code == 400

    token = login.json()["token"]
    profile = client.get("/v1/auth/profile", headers=token_headers(token))
    assert profile.status_code == 200, profile.text
    assert profile.json()["last_login"] is not None
    assert profile.json()["is_active"] is True
    assert client.post("/v1/auth/logout", headers=token_headers(token)).status_code == 200
    assert client.get("/v1/auth/profile", headers=token_headers(token)).status_code == 401


def test_login_without_an_organisation_makes_a_personal_one(
    app_factory: Callable[..., TestClient], database_url: str
) -> None:
    client = app_factory(database_url=database_url)
    user = register(client, first_name="Bo")
    org = user["organization"]["id"]
    other = register(client)
    auth = token_headers(user["token"])
    added = client.post(
        f"/v1/organizations/{org}/members",
        json={"email": other["email"], "role": "admin"},
        headers=auth,
    )
    assert added.status_code == 201, added.text
    assert client.delete(f"/v1/organizations/{org}", headers=auth).status_code == 204
    login = client.post("/v1/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["organization"]["id"] != org
    assert login.json()["organization"]["name"] == "Bo's Organization"
    orgs = client.get("/v1/organizations", headers=token_headers(login.json()["token"]))
    assert [o["id"] for o in orgs.json()["data"]] == [login.json()["organization"]["id"]]
