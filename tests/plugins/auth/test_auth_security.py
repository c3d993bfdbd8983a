"""The security handlers over HTTP: 401/403 matrix, scopes, expiry, IP allow-lists."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from specway.app import create_app
from specway.ids import utcnow
from specway.plugins.auth.api_keys import set_organization_plan
from specway.plugins.auth.keys import KeyFormat
from specway.plugins.auth.models import ApiKey
from specway.settings import Settings
from tests.conftest import REFERENCE_SPEC
from tests.plugins.auth.support import (
    bearer,
    mint_key,
    register,
    runtime_of,
    token_headers,
    with_peer_header,
)

GOOD_FORMAT_UNKNOWN_KEY = KeyFormat().generate()
BAD_CHECKSUM = GOOD_FORMAT_UNKNOWN_KEY[:-1] + ("a" if GOOD_FORMAT_UNKNOWN_KEY[-1] != "a" else "b")

BAD_HEADERS: list[tuple[str, list[tuple[bytes, bytes]]]] = [
    ("missing", []),
    ("empty header", [(b"authorization", b"")]),
    ("scheme only", [(b"authorization", b"Bearer")]),
    ("empty token", [(b"authorization", b"Bearer ")]),
    ("unknown scheme", [(b"authorization", b"Basic dXNlcjpwYXNz")]),
    ("garbage", [(b"authorization", b"!!!")]),
    ("10 kB token", [(b"authorization", b"Bearer " + b"a" * 10_240)]),
    ("non-ascii", [(b"authorization", b"Bearer sk_live_\xff\xfe\xc3\xa9")]),
    ("bad checksum", [(b"authorization", b"Bearer " + BAD_CHECKSUM.encode())]),
    ("unknown key", [(b"authorization", b"Bearer " + GOOD_FORMAT_UNKNOWN_KEY.encode())]),
    ("unknown session", [(b"authorization", b"Token " + b"0" * 40)]),
    ("session-like via bearer", [(b"authorization", b"Bearer " + b"f" * 40)]),
    ("token scheme with key shape", [(b"authorization", b"Token sk_live_short")]),
]


@pytest.mark.parametrize(("case", "headers"), BAD_HEADERS, ids=[c for c, _ in BAD_HEADERS])
def test_bad_credentials_get_401_envelope_with_challenge_and_no_echo(
    app_factory: Callable[..., TestClient],
    caplog: pytest.LogCaptureFixture,
    case: str,
    headers: list[tuple[bytes, bytes]],
) -> None:
    client = app_factory()
    caplog.set_level(logging.DEBUG)
    response = client.get("/v1/projects", headers=headers)  # type: ignore[arg-type]
    assert response.status_code == 401, case
    assert response.headers["www-authenticate"].startswith('Bearer realm="specway"')
    error = response.json()["error"]
    assert error["code"] == "unauthorized"
    assert error["request_id"] == response.headers["x-request-id"]
    sent = dict(headers).get(b"authorization", b"").partition(b" ")[2]
    if len(sent) >= 8:
        secret = sent.decode("latin-1")
        assert secret not in response.text
        assert secret not in caplog.text


def test_valid_key_and_session_pass(
    app_factory: Callable[..., TestClient],
) -> None:
    client = app_factory()
    user = register(client)
    key = mint_key(client, user["token"], ["read"])
    assert client.get("/v1/projects", headers=bearer(key["key"])).status_code == 200
    assert client.get("/v1/projects", headers=token_headers(user["token"])).status_code == 200
    assert client.get("/v1/projects", headers=bearer(user["token"])).status_code == 200


def test_missing_scope_is_403_naming_it(
    app_factory: Callable[..., TestClient],
) -> None:
    client = app_factory()
    user = register(client)
    key = mint_key(client, user["token"], ["read"])
    response = client.post("/v1/projects", json={"name": "x"}, headers=bearer(key["key"]))
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden"
    assert error["details"]["missing_scopes"] == ["write"]
    assert "write" in error["message"]
    deleted = client.delete("/v1/projects/proj_abc", headers=bearer(key["key"]))
    assert deleted.json()["error"]["details"]["missing_scopes"] == ["delete"]


def test_expired_key_is_401(
    app_factory: Callable[..., TestClient],
) -> None:
    client = app_factory()
    user = register(client)
    soon = (utcnow() + timedelta(days=1)).isoformat()
    key = mint_key(client, user["token"], ["read"], expires_at=soon)
    assert key["expires_at"] is not None
    assert client.get("/v1/projects", headers=bearer(key["key"])).status_code == 200
    runtime = runtime_of(client)

    async def expire() -> None:
        async with runtime.database.session() as session, session.begin():
            await session.execute(
                update(ApiKey)
                .where(ApiKey.id == key["id"])
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
        await runtime.invalidate()

    client.portal.call(expire)  # type: ignore[union-attr]
    response = client.get("/v1/projects", headers=bearer(key["key"]))
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "API key has expired"
    assert "www-authenticate" in response.headers


def test_expiry_in_the_past_is_refused_at_creation(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory()
    user = register(client)
    response = client.post(
        "/v1/api-keys",
        json={"name": "k", "scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"},
        headers=token_headers(user["token"]),
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "expires_at"


def test_ip_allow_list(
    settings_factory: Callable[..., Settings],
) -> None:
    app = create_app(REFERENCE_SPEC, settings_factory())
    with TestClient(with_peer_header(app), raise_server_exceptions=False) as client:
        user = register(client)
        key = mint_key(
            client, user["token"], ["read"], allowed_ips=["203.0.113.0/24", "2001:db8::1"]
        )
        assert key["allowed_ips"] == ["2001:db8::1/128", "203.0.113.0/24"]
        inside = {**bearer(key["key"]), "X-Test-Peer": "203.0.113.77"}
        outside = {**bearer(key["key"]), "X-Test-Peer": "198.51.100.1"}
        v6 = {**bearer(key["key"]), "X-Test-Peer": "2001:db8::1"}
        assert client.get("/v1/projects", headers=inside).status_code == 200
        assert client.get("/v1/projects", headers=v6).status_code == 200
        refused = client.get("/v1/projects", headers=outside)
        assert refused.status_code == 403
        assert refused.json()["error"]["details"] == {"reason": "ip_not_allowed"}
        bad = client.post(
            "/v1/api-keys",
            json={"name": "k", "scopes": ["read"], "allowed_ips": ["10.0.0.0/33"]},
            headers=token_headers(user["token"]),
        )
        assert bad.status_code == 400
        assert bad.json()["error"]["details"][0]["field"] == "allowed_ips.0"


def test_principal_reaches_handlers_with_the_organization_plan_as_tier(
    app_factory: Callable[..., TestClient],
) -> None:
    client = app_factory()
    user = register(client)
    runtime = runtime_of(client)

    async def set_plan() -> None:
        async with runtime.database.session() as session, session.begin():
            await set_organization_plan(session, user["organization"]["id"], "pro")

    client.portal.call(set_plan)  # type: ignore[union-attr]
    key = mint_key(client, user["token"], ["read", "write"])
    assert key["plan"] == "pro"
    principal = client.portal.call(  # type: ignore[union-attr]
        runtime.authenticator.authenticate, key["key"], "127.0.0.1"
    )
    assert principal.kind == "api_key"
    assert principal.key_id == key["id"]
    assert principal.tier == "pro"
    assert principal.organization_id == user["organization"]["id"]
    assert principal.scopes == frozenset({"read", "write"})
    created = client.post("/v1/projects", json={"name": "p"}, headers=bearer(key["key"]))
    assert created.json()["organization"] == user["organization"]["id"]


def test_cache_answers_without_the_database(
    app_factory: Callable[..., TestClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = app_factory()
    user = register(client)
    key = mint_key(client, user["token"], ["read"])
    runtime = runtime_of(client)
    principal = client.portal.call(  # type: ignore[union-attr]
        runtime.authenticator.authenticate, key["key"], None
    )

    def no_database() -> Any:
        raise AssertionError("hot path touched the database")

    monkeypatch.setattr(runtime.authenticator.database, "session", no_database)
    again = client.portal.call(  # type: ignore[union-attr]
        runtime.authenticator.authenticate, key["key"], None
    )
    assert again == principal
