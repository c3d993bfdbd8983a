"""``/v1/api-keys``: the secret once, metadata afterwards, revocation."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from starlette.testclient import TestClient

from specway.plugins.auth.models import ApiKey
from tests.plugins.auth.support import bearer, mint_key, register, runtime_of, token_headers


def test_secret_shown_once_and_stored_only_as_keyed_hash(
    app_factory: Callable[..., TestClient],
) -> None:
    client = app_factory()
    user = register(client)
    auth = token_headers(user["token"])
    created = client.post(
        "/v1/api-keys", json={"name": "CI", "scopes": ["write", "read"]}, headers=auth
    )
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    key = created.json()
    secret = key["key"]
    assert secret.startswith("sk_live_")
    assert (key["prefix"], key["last4"]) == ("sk_live_", secret[-4:])
    assert key["scopes"] == ["read", "write"]
    assert key["id"].startswith("key_")

    listed = client.get("/v1/api-keys", headers=auth)
    assert secret not in listed.text
    assert [k["id"] for k in listed.json()["data"]] == [key["id"]]
    got = client.get(f"/v1/api-keys/{key['id']}", headers=auth)
    assert got.status_code == 200
    assert "key" not in got.json()
    assert secret not in got.text

    runtime = runtime_of(client)

    async def stored() -> ApiKey:
        async with runtime.database.session() as session:
            row: ApiKey = (
                await session.execute(select(ApiKey).where(ApiKey.id == key["id"]))
            ).scalar_one()
            return row

    row = client.portal.call(stored)  # type: ignore[union-attr]
    columns = [str(getattr(row, c.key)) for c in ApiKey.__table__.columns]
    assert all(secret[8:-4] not in value for value in columns)
    assert row.key_hash == runtime.hasher.digest(secret)
    assert row.key_hash != runtime.hasher.digest(secret + "x")


def test_revoked_key_is_refused_and_disappears(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory()
    user = register(client)
    key = mint_key(client, user["token"], ["read", "delete"])
    assert client.get("/v1/projects", headers=bearer(key["key"])).status_code == 200
    revoked = client.delete(f"/v1/api-keys/{key['id']}", headers=bearer(key["key"]))
    assert revoked.status_code == 204
    after = client.get("/v1/projects", headers=bearer(key["key"]))
    assert after.status_code == 401
    assert after.json()["error"]["message"] == "Invalid API key"
    auth = token_headers(user["token"])
    assert client.get(f"/v1/api-keys/{key['id']}", headers=auth).status_code == 404
    assert client.delete(f"/v1/api-keys/{key['id']}", headers=auth).status_code == 404


def test_bad_create_bodies(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory()
    auth = token_headers(register(client)["token"])
    for body, field in [
        ({"name": "k", "scopes": []}, "scopes"),
        ({"name": "k", "scopes": ["root"]}, "scopes.0"),
        ({"scopes": ["read"]}, "name"),
        ({"name": "k", "scopes": ["read"], "expires_at": "tomorrow"}, "expires_at"),
    ]:
        response = client.post("/v1/api-keys", json=body, headers=auth)
        assert response.status_code == 400, (body, response.text)
        assert field in [d["field"] for d in response.json()["error"]["details"]], body


def test_test_mode_keys_use_the_test_prefix(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory()
    user = register(client)
    key = mint_key(client, user["token"], ["read"], test_mode=True)
    assert key["key"].startswith("sk_test_")
    assert client.get("/v1/projects", headers=bearer(key["key"])).status_code == 200


def test_last_used_at_is_written_in_batches(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory()
    user = register(client)
    key = mint_key(client, user["token"], ["read"])
    for _ in range(3):
        assert client.get("/v1/projects", headers=bearer(key["key"])).status_code == 200
    auth = token_headers(user["token"])
    runtime = runtime_of(client)
    assert runtime.usage.pending >= 1
    before = client.get(f"/v1/api-keys/{key['id']}", headers=auth).json()
    assert before["last_used_at"] is None  # nothing written per request
    written = client.portal.call(runtime.usage.flush)  # type: ignore[union-attr]
    assert written >= 1
    after = client.get(f"/v1/api-keys/{key['id']}", headers=auth).json()
    assert after["last_used_at"] is not None


def test_absurd_page_numbers_are_an_empty_page_or_a_400(
    app_factory: Callable[..., TestClient],
) -> None:
    client = app_factory()
    auth = token_headers(register(client)["token"])
    response = client.get("/v1/api-keys", params={"page": 1_000_000}, headers=auth)
    assert response.status_code == 200
    assert response.json()["data"] == []
    beyond = client.get("/v1/api-keys", params={"page": 10**20}, headers=auth)
    assert beyond.status_code == 400
    assert beyond.json()["error"]["details"][0]["field"] == "page"
