"""Issue 32: the ``organizations`` part on the store path (``OrganizationStore``), the same on
SQLite and PostgreSQL; an organisation with its counts and the caller's role is one
statement."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from specway.parts.organizations.store import OrganizationStore
from tests.plugins.auth.support import bearer, mint_key, register, runtime_of, token_headers
from tests.storage.statements import statements_sent


def test_organizations_and_members(
    app_factory: Callable[..., TestClient], database_url: str
) -> None:
    client = app_factory(database_url=database_url)
    ada, bo = register(client), register(client)
    auth = token_headers(ada["token"])
    made = client.post("/v1/organizations", json={"name": "Acme"}, headers=auth)
    assert made.status_code == 201, made.text
    org = made.json()
    assert org["member_count"] == 1
    assert org["project_count"] == 0
    assert org["user_role"] == "admin"
    # The session acts in the personal organisation: the project is counted there.
    assert client.post("/v1/projects", json={"name": "p"}, headers=auth).status_code == 201

    listed = client.get("/v1/organizations?per_page=1&page=2", headers=auth).json()
    assert listed["pagination"]["total"] == 2
    assert [o["id"] for o in listed["data"]] == [org["id"]]
    past = client.get("/v1/organizations?page=9", headers=auth).json()
    assert past["data"] == []
    assert past["pagination"]["total"] == 2

    added = client.post(
        f"/v1/organizations/{org['id']}/members", json={"email": bo["email"]}, headers=auth
    )
    assert added.status_code == 201, added.text
    assert added.json()["role"] == "member"
    twice = client.post(
        f"/v1/organizations/{org['id']}/members", json={"email": bo["email"]}, headers=auth
    )
    assert twice.status_code == 409
    members = client.get(f"/v1/organizations/{org['id']}/members", headers=auth).json()
    assert [m["user_id"] for m in members["data"]] == [ada["user"]["id"], bo["user"]["id"]]
    as_bo = token_headers(bo["token"])
    shown = client.get(f"/v1/organizations/{org['id']}", headers=as_bo).json()
    assert shown["member_count"] == 2
    assert shown["user_role"] == "member"
    assert (
        client.patch(
            f"/v1/organizations/{org['id']}", json={"name": "X"}, headers=as_bo
        ).status_code
        == 403
    )
    renamed = client.patch(f"/v1/organizations/{org['id']}", json={"name": "Acme 2"}, headers=auth)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Acme 2"
    assert renamed.json()["description"] == org["description"]
    last_admin = client.delete(
        f"/v1/organizations/{org['id']}/members/{ada['user']['id']}", headers=auth
    )
    assert last_admin.status_code == 409
    removed = client.delete(
        f"/v1/organizations/{org['id']}/members/{bo['user']['id']}", headers=auth
    )
    assert removed.status_code == 204
    assert client.get(f"/v1/organizations/{org['id']}", headers=as_bo).status_code == 404

    database = runtime_of(client).authenticator.database
    store = OrganizationStore(database, (("project_count", "projects"),))
    portal = client.portal
    assert portal is not None
    personal = ada["organization"]["id"]
    found, sent = statements_sent(
        portal, database, lambda: store.get(personal, ada["user"]["id"], personal)
    )
    assert found is not None
    assert found[1] == "admin"
    assert found[0]["project_count"] == 1
    assert sent is None or len(sent) == 1

    assert client.delete(f"/v1/organizations/{org['id']}", headers=auth).status_code == 204
    assert client.get(f"/v1/organizations/{org['id']}", headers=auth).status_code == 404
    assert client.get("/v1/organizations", headers=auth).json()["pagination"]["total"] == 1


def test_a_test_mode_key_sees_its_twin_with_the_live_members(
    app_factory: Callable[..., TestClient], database_url: str
) -> None:
    client = app_factory(database_url=database_url)
    user = register(client)
    key = mint_key(client, user["token"], test_mode=True)
    listed = client.get("/v1/organizations", headers=bearer(key["key"])).json()
    assert listed["pagination"]["total"] == 1
    twin = listed["data"][0]
    assert twin["id"] != user["organization"]["id"]
    assert twin["member_count"] == 1
    members = client.get(f"/v1/organizations/{twin['id']}/members", headers=bearer(key["key"]))
    assert [m["user_id"] for m in members.json()["data"]] == [user["user"]["id"]]
    refused = client.delete(f"/v1/organizations/{twin['id']}", headers=bearer(key["key"]))
    assert refused.status_code == 403
