"""Issue 32: a credential's cache miss is one statement on PostgreSQL (the key or session, its
role, its organisation's plan and allow-list and the sandbox twin, joined), and resolves the
same principal on both backends."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from anyio.from_thread import BlockingPortal
from starlette.testclient import TestClient

from specway.plugins.auth.cache import ResolvedCredential
from specway.plugins.auth.lookup import load_api_key
from tests.plugins.auth.support import bearer, mint_key, register, runtime_of, token_headers
from tests.storage.statements import statements_sent


def _quiet(client: TestClient) -> BlockingPortal:
    """The portal of ``client``'s loop, the background flush of last-use times stopped (its
    statements would be counted with the ones under test)."""
    portal = client.portal
    assert portal is not None
    portal.call(runtime_of(client).authenticator.usage.stop)
    return portal


def _miss(client: TestClient, credential: str) -> tuple[ResolvedCredential, int | None]:
    """Resolve ``credential`` with an empty cache: the entry, and the statements PostgreSQL
    was sent (``None`` on SQLite)."""
    portal = _quiet(client)
    authenticator = runtime_of(client).authenticator
    authenticator.cache.clear()
    entry, sent = statements_sent(
        portal, authenticator.database, lambda: authenticator.identify(credential)
    )
    return entry, None if sent is None else len(sent)


@pytest.mark.parametrize("test_mode", [False, True])
def test_a_key_miss_is_one_statement(
    app_factory: Callable[..., TestClient], database_url: str, test_mode: bool
) -> None:
    client = app_factory(database_url=database_url)
    user = register(client)
    org = user["organization"]["id"]
    key = mint_key(client, user["token"], ["read"], test_mode=test_mode)
    first, _ = _miss(client, key["key"])  # a test key's first use makes the sandbox twin
    entry, sent = _miss(client, key["key"])
    assert sent in (None, 1)
    principal = entry.principal
    assert principal is not None
    assert principal == first.principal
    assert principal.kind == "api_key"
    assert principal.id == key["id"]
    assert principal.role == "admin"
    assert principal.user_id == user["user"]["id"]
    assert principal.test_mode is test_mode
    if test_mode:
        assert principal.live_organization_id == org
        assert principal.organization_id not in (org, None)
    else:
        assert principal.organization_id == org
        assert principal.live_organization_id is None


def test_a_session_miss_is_one_statement(
    app_factory: Callable[..., TestClient], database_url: str
) -> None:
    client = app_factory(database_url=database_url)
    user = register(client)
    entry, sent = _miss(client, user["token"])
    assert sent in (None, 1)
    assert entry.principal is not None
    assert entry.principal.kind == "session"
    assert entry.principal.role == "admin"
    assert entry.principal.organization_id == user["organization"]["id"]


def test_an_unknown_key_is_one_statement(
    app_factory: Callable[..., TestClient], database_url: str
) -> None:
    client = app_factory(database_url=database_url)
    user = register(client)
    key = mint_key(client, user["token"], ["read"])
    client.delete(f"/v1/api-keys/{key['id']}", headers={"Authorization": f"Token {user['token']}"})
    portal = _quiet(client)
    authenticator = runtime_of(client).authenticator
    authenticator.cache.clear()
    digests = authenticator.hasher.candidates(key["key"])
    entry, sent = statements_sent(
        portal,
        authenticator.database,
        lambda: load_api_key(authenticator.database, digests, None, authenticator.scopes),
    )
    assert entry.principal is None
    assert sent is None or len(sent) == 1


def test_usage_is_one_statement_per_table(
    app_factory: Callable[..., TestClient], database_url: str
) -> None:
    client = app_factory(database_url=database_url)
    user = register(client)
    keys = [mint_key(client, user["token"], ["read"]) for _ in range(3)]
    for key in keys:
        assert client.get("/v1/projects", headers=bearer(key["key"])).status_code == 200
    portal = _quiet(client)  # and flushed: whatever registering left pending
    usage = runtime_of(client).authenticator.usage
    for key in keys:
        assert client.get("/v1/projects", headers=bearer(key["key"])).status_code == 200
    assert client.get("/v1/projects", headers=token_headers(user["token"])).status_code == 200
    flushed, sent = statements_sent(portal, usage.database, usage.flush)
    assert flushed == 4
    assert sent is None or len(sent) == 2  # keys, sessions
    listed = client.get("/v1/api-keys", headers=token_headers(user["token"])).json()["data"]
    assert all(item["last_used_at"] is not None for item in listed)
