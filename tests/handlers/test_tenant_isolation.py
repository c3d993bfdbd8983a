"""Tenant isolation: another organisation's rows are invisible (404), never changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.plugins.auth.support import bearer, mint_key, register, token_headers


@pytest.fixture
def tenants(app_factory: Callable[..., TestClient]) -> dict[str, Any]:
    client = app_factory()
    a = register(client)
    b = register(client)
    a_key = mint_key(client, a["token"])
    b_key = mint_key(client, b["token"])
    project = client.post("/v1/projects", json={"name": "secret"}, headers=bearer(a_key["key"]))
    assert project.status_code == 201
    return {
        "client": client,
        "a": a,
        "a_key": a_key,
        "b_key": b_key,
        "b": b,
        "project": project.json(),
    }


def _matrix(t: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    org = t["a"]["organization"]["id"]
    project = t["project"]["id"]
    key = t["a_key"]["id"]
    user = t["a"]["user"]["id"]
    return [
        ("GET", f"/v1/organizations/{org}", None),
        ("PATCH", f"/v1/organizations/{org}", {"name": "pwned"}),
        ("DELETE", f"/v1/organizations/{org}", None),
        ("GET", f"/v1/organizations/{org}/members", None),
        ("POST", f"/v1/organizations/{org}/members", {"email": t["b"]["email"], "role": "admin"}),
        ("DELETE", f"/v1/organizations/{org}/members/{user}", None),
        ("GET", f"/v1/projects/{project}", None),
        ("PATCH", f"/v1/projects/{project}", {"name": "pwned"}),
        ("DELETE", f"/v1/projects/{project}", None),
        ("GET", f"/v1/api-keys/{key}", None),
        ("DELETE", f"/v1/api-keys/{key}", None),
    ]


@pytest.mark.parametrize("credential", ["session", "api_key"])
def test_other_tenant_gets_404_everywhere_and_changes_nothing(
    tenants: dict[str, Any], credential: str
) -> None:
    client: TestClient = tenants["client"]
    intruder = (
        token_headers(tenants["b"]["token"])
        if credential == "session"
        else bearer(tenants["b_key"]["key"])
    )
    for method, url, body in _matrix(tenants):
        response = client.request(method, url, json=body, headers=intruder)
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["error"]["code"] == "not_found"

    # Lists show only the intruder's own rows.
    orgs = client.get("/v1/organizations", headers=intruder).json()["data"]
    assert [o["id"] for o in orgs] == [tenants["b"]["organization"]["id"]]
    assert client.get("/v1/projects", headers=intruder).json()["data"] == []
    keys = client.get("/v1/api-keys", headers=intruder).json()["data"]
    assert [k["id"] for k in keys] == [tenants["b_key"]["id"]]

    # The owner still has everything, unchanged.
    owner = bearer(tenants["a_key"]["key"])
    org = client.get(f"/v1/organizations/{tenants['a']['organization']['id']}", headers=owner)
    assert org.status_code == 200
    assert org.json()["member_count"] == 1
    project = client.get(f"/v1/projects/{tenants['project']['id']}", headers=owner).json()
    assert project["name"] == "secret"
    assert client.get(f"/v1/api-keys/{tenants['a_key']['id']}", headers=owner).status_code == 200


def test_members_revoke_only_their_own_keys(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory()
    owner = register(client)
    member = register(client)
    org_id = owner["organization"]["id"]
    client.post(
        f"/v1/organizations/{org_id}/members",
        json={"email": member["email"]},
        headers=token_headers(owner["token"]),
    )
    member_token = client.post(
        "/v1/auth/login",
        json={
            "email": member["email"],
            "password": "correct-horse-battery",
            "organization_id": org_id,
        },
    ).json()["token"]
    owners_key = mint_key(client, owner["token"], ["read"])
    members_key = mint_key(client, member_token, ["read"])
    auth = token_headers(member_token)
    assert client.delete(f"/v1/api-keys/{owners_key['id']}", headers=auth).status_code == 403
    own = client.delete(f"/v1/api-keys/{members_key['id']}", headers=auth)
    assert own.status_code == 204, own.text
