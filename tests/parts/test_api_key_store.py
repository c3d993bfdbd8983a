"""Issue 32: the ``api-keys`` part on the store path (``ApiKeyStore``), on SQLite and
PostgreSQL: the same responses on both, a page and its total in one statement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from specway.pagination import PageRequest
from specway.parts.api_keys.store import ApiKeyStore
from specway.storage.database import Database
from tests.plugins.auth.support import bearer, register, runtime_of, token_headers
from tests.storage.statements import statements_sent

FIELDS = {
    "id",
    "name",
    "prefix",
    "last4",
    "scopes",
    "allowed_ips",
    "plan",
    "test_mode",
    "organization_id",
    "created_by",
    "created_at",
    "last_used_at",
    "expires_at",
}


def _database(client: TestClient) -> Database:
    database: Database = runtime_of(client).authenticator.database
    portal = client.portal
    assert portal is not None
    portal.call(runtime_of(client).authenticator.usage.stop)  # no flushes counted below
    return database


def test_keys_through_the_store(app_factory: Callable[..., TestClient], database_url: str) -> None:
    client = app_factory(database_url=database_url)
    user = register(client)
    auth = token_headers(user["token"])
    org = user["organization"]["id"]
    database = _database(client)
    runtime = runtime_of(client)
    portal = client.portal
    assert portal is not None
    body = {"name": "ci", "scopes": ["read", "write"], "allowed_ips": ["10.0.0.1"]}
    made = [client.post("/v1/api-keys", json=body, headers=auth) for _ in range(3)]
    assert [m.status_code for m in made] == [201] * 3
    first: dict[str, Any] = made[0].json()
    assert set(first) == FIELDS | {"key"}
    assert first["organization_id"] == org
    assert first["created_by"] == user["user"]["id"]
    assert first["allowed_ips"] == ["10.0.0.1/32"]
    assert first["plan"] is None
    assert first["last_used_at"] is None
    assert first["test_mode"] is False

    store = ApiKeyStore(database, runtime.hasher, runtime.key_format)
    (items, total), sent = statements_sent(
        portal, database, lambda: store.page(org, PageRequest(page=1, per_page=2))
    )
    assert sent is None or len(sent) == 1  # the page and its total
    assert total == 3
    assert items == [{k: v for k, v in m.json().items() if k != "key"} for m in made[::-1][:2]]
    page = client.get("/v1/api-keys?per_page=2&page=1", headers=auth)
    assert page.status_code == 200, page.text
    listed = page.json()
    assert listed["pagination"]["total"] == 3
    assert [k["id"] for k in listed["data"]] == [m.json()["id"] for m in made][::-1][:2]
    shown = client.get(f"/v1/api-keys/{first['id']}", headers=auth).json()
    assert shown == {k: v for k, v in first.items() if k != "key"}

    assert client.get("/v1/projects", headers=bearer(first["key"])).status_code == 403  # IP
    rotated = client.post(
        f"/v1/api-keys/{first['id']}/rotate", json={"expire_current_in": 600}, headers=auth
    )
    assert rotated.status_code == 201, rotated.text
    new = rotated.json()
    assert new["id"] != first["id"]
    assert {k: new[k] for k in ("name", "scopes", "allowed_ips", "created_by")} == {
        k: first[k] for k in ("name", "scopes", "allowed_ips", "created_by")
    }
    old = client.get(f"/v1/api-keys/{first['id']}", headers=auth).json()
    assert old["expires_at"] is not None  # ends in ten minutes

    assert client.delete(f"/v1/api-keys/{first['id']}", headers=auth).status_code == 204
    missing = client.get(f"/v1/api-keys/{first['id']}", headers=auth)
    assert missing.status_code == 404
    assert missing.json()["error"]["details"]["resource_type"] == "api_key"
    assert client.get("/v1/api-keys", headers=auth).json()["pagination"]["total"] == 3


def test_a_test_mode_key_sees_only_test_mode_keys(
    app_factory: Callable[..., TestClient], database_url: str
) -> None:
    client = app_factory(database_url=database_url)
    user = register(client)
    auth = token_headers(user["token"])
    body = {"name": "t", "scopes": ["read", "write", "admin"], "test_mode": True}
    test_key = client.post("/v1/api-keys", json=body, headers=auth).json()
    live = client.post("/v1/api-keys", json={"name": "l", "scopes": ["read"]}, headers=auth)
    as_test = bearer(test_key["key"])
    listed = client.get("/v1/api-keys", headers=as_test).json()["data"]
    assert [k["id"] for k in listed] == [test_key["id"]]
    assert client.get(f"/v1/api-keys/{live.json()['id']}", headers=as_test).status_code == 404
    past = client.get("/v1/api-keys?page=3", headers=as_test).json()
    assert past["data"] == []
    assert past["pagination"]["total"] == 1
