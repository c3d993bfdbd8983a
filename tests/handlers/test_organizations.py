"""``/v1/organizations``: CRUD, members, roles."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from tests.plugins.auth.support import bearer, mint_key, register, token_headers


def test_organization_crud_with_counts_and_role(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory()
    user = register(client)
    auth = token_headers(user["token"])
    created = client.post(
        "/v1/organizations", json={"name": "Acme", "description": "Main"}, headers=auth
    )
    assert created.status_code == 201
    org = created.json()
    assert org["id"].startswith("org_")
    assert (org["member_count"], org["project_count"], org["user_role"]) == (1, 0, "admin")
    assert created.headers["location"] == f"/v1/organizations/{org['id']}"
    listed = client.get("/v1/organizations", headers=auth).json()
    assert [o["id"] for o in listed["data"]] == [user["organization"]["id"], org["id"]]
    assert listed["pagination"]["total"] == 2

    # Projects count in the session's organisation.
    client.post("/v1/projects", json={"name": "p"}, headers=auth)
    mine = client.get(f"/v1/organizations/{user['organization']['id']}", headers=auth).json()
    assert mine["project_count"] == 1

    patched = client.patch(
        f"/v1/organizations/{org['id']}", json={"name": "Acme Corp"}, headers=auth
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "Acme Corp"
    assert client.delete(f"/v1/organizations/{org['id']}", headers=auth).status_code == 204
    assert client.get(f"/v1/organizations/{org['id']}", headers=auth).status_code == 404


def test_members_roles_and_last_admin(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory()
    owner = register(client)
    member = register(client)
    org_id = owner["organization"]["id"]
    auth = token_headers(owner["token"])
    url = f"/v1/organizations/{org_id}/members"

    added = client.post(url, json={"email": member["email"], "role": "member"}, headers=auth)
    assert added.status_code == 201
    assert added.json()["role"] == "member"
    assert client.post(url, json={"email": member["email"]}, headers=auth).status_code == 409
    nobody = client.post(url, json={"email": "nobody@example.com"}, headers=auth)
    assert nobody.status_code == 404
    members = client.get(url, headers=auth).json()["data"]
    assert sorted(m["role"] for m in members) == ["admin", "member"]

    # The member sees the organisation but may not administer it.
    member_auth = token_headers(member["token"])
    seen = client.get(f"/v1/organizations/{org_id}", headers=member_auth)
    assert seen.status_code == 200
    assert seen.json()["user_role"] == "member"
    forbidden = client.patch(f"/v1/organizations/{org_id}", json={"name": "x"}, headers=member_auth)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["details"]["required_role"] == "admin"

    # The only admin cannot be removed; a member can.
    last = client.delete(f"{url}/{owner['user']['id']}", headers=auth)
    assert last.status_code == 409
    assert client.delete(f"{url}/{member['user']['id']}", headers=auth).status_code == 204
    assert client.get(f"/v1/organizations/{org_id}", headers=member_auth).status_code == 404


def test_key_acts_with_creators_role_capped_by_scopes(
    app_factory: Callable[..., TestClient],
) -> None:
    client = app_factory()
    owner = register(client)
    colleague = register(client)
    org_id = owner["organization"]["id"]
    client.post(
        f"/v1/organizations/{org_id}/members",
        json={"email": colleague["email"], "role": "member"},
        headers=token_headers(owner["token"]),
    )
    login = client.post(
        "/v1/auth/login",
        json={
            "email": colleague["email"],
            "password": "correct-horse-battery",
            "organization_id": org_id,
        },
    ).json()
    # A member cannot mint an admin key: admin needs a role they do not have.
    denied = client.post(
        "/v1/api-keys",
        json={"name": "k", "scopes": ["read", "admin"]},
        headers=token_headers(login["token"]),
    )
    assert denied.status_code == 403
    key = mint_key(client, login["token"], ["read", "write"])
    assert (
        client.post("/v1/projects", json={"name": "p"}, headers=bearer(key["key"])).status_code
        == 201
    )
    # Removing the creator from the organisation disables the keys they made.
    removed = client.delete(
        f"/v1/organizations/{org_id}/members/{colleague['user']['id']}",
        headers=token_headers(owner["token"]),
    )
    assert removed.status_code == 204
    assert client.get("/v1/projects", headers=bearer(key["key"])).status_code == 401


def test_api_keys_cannot_create_organizations(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory()
    user = register(client)
    key = mint_key(client, user["token"])
    response = client.post("/v1/organizations", json={"name": "x"}, headers=bearer(key["key"]))
    assert response.status_code == 403
    listed = client.get("/v1/organizations", headers=bearer(key["key"])).json()
    assert [o["id"] for o in listed["data"]] == [user["organization"]["id"]]


def test_deleting_an_organization_removes_its_keys_and_projects(
    app_factory: Callable[..., TestClient],
) -> None:
    client = app_factory()
    user = register(client)
    key = mint_key(client, user["token"])
    project = client.post("/v1/projects", json={"name": "p"}, headers=bearer(key["key"])).json()
    org_id = user["organization"]["id"]
    assert (
        client.delete(f"/v1/organizations/{org_id}", headers=bearer(key["key"])).status_code == 204
    )
    assert (
        client.get(f"/v1/projects/{project['id']}", headers=bearer(key["key"])).status_code == 401
    )
    # Logging in again gives the user a fresh personal organisation.
    login = client.post(
        "/v1/auth/login", json={"email": user["email"], "password": "correct-horse-battery"}
    )
    assert login.status_code == 200
    assert login.json()["organization"]["id"] != org_id
