"""Idempotency-Key: replay, mismatch 422, in-flight 409, scoping, 5xx release, shared Redis.

On the reference API every caller is a real user or key of the auth plugin.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis
from starlette.testclient import TestClient

from specway.plugins.metrics import counters

if TYPE_CHECKING:
    from tests.conftest import AuthIdentity

Make = Callable[..., TestClient]
Identity = Callable[..., "AuthIdentity"]
SCENARIO = Path(__file__).resolve().parents[2] / "fixtures" / "idempotency" / "openapi.yaml"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _key() -> str:
    return f"test-{secrets.token_hex(8)}"


def _total(client: TestClient, headers: dict[str, str]) -> int:
    return int(client.get("/v1/projects", headers=headers).json()["pagination"]["total"])


def _stored() -> float:
    return float(counters.IDEMPOTENCY.labels("stored")._value.get())


def test_first_response_is_replayed(
    make_client: Make, backend: dict[str, Any], auth_factory: Identity
) -> None:
    client = make_client(**backend)
    me = auth_factory(client)
    key = {"Idempotency-Key": _key(), **me.headers}
    first = client.post("/v1/projects", json={"name": "Once"}, headers=key)
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    again = client.post("/v1/projects", json={"name": "Once"}, headers=key)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert _total(client, me.headers) == 1
    without_key = client.post("/v1/projects", json={"name": "Once"}, headers=me.headers)
    assert without_key.status_code == 201
    assert _total(client, me.headers) == 2


def test_same_key_other_body_is_422(
    make_client: Make, backend: dict[str, Any], auth_factory: Identity
) -> None:
    client = make_client(**backend)
    me = auth_factory(client)
    key = {"Idempotency-Key": _key(), **me.headers}
    assert client.post("/v1/projects", json={"name": "A"}, headers=key).status_code == 201
    other = client.post("/v1/projects", json={"name": "B"}, headers=key)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "unprocessable_entity"
    assert other.json()["error"]["request_id"] == other.headers["x-request-id"]
    assert _total(client, me.headers) == 1


def test_patch_opts_in(make_client: Make, backend: dict[str, Any], auth_factory: Identity) -> None:
    client = make_client(**backend)
    me = auth_factory(client)
    project = client.post("/v1/projects", json={"name": "P"}, headers=me.headers).json()
    url = f"/v1/projects/{project['id']}"
    key = {"Idempotency-Key": _key(), **me.headers}
    first = client.patch(url, json={"name": "Q"}, headers=key)
    client.patch(url, json={"name": "R"}, headers=me.headers)
    replay = client.patch(url, json={"name": "Q"}, headers=key)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert replay.json()["name"] == "Q"
    assert client.get(url, headers=me.headers).json()["name"] == "R"


@pytest.mark.parametrize(
    ("value", "reason"), [("k" * 256, "too long"), ("has space", "not visible ASCII")]
)
def test_bad_keys_are_400(
    make_client: Make, auth_factory: Identity, value: str, reason: str
) -> None:
    client = make_client()
    me = auth_factory(client)
    response = client.post(
        "/v1/projects", json={"name": "x"}, headers={"Idempotency-Key": value, **me.headers}
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"] == [
        {"field": "Idempotency-Key", "in": "header", "reason": reason}
    ]
    ok = client.post(
        "/v1/projects", json={"name": "x"}, headers={"Idempotency-Key": "k" * 255, **me.headers}
    )
    assert ok.status_code == 201


def test_keys_are_scoped_per_principal(
    make_client: Make, backend: dict[str, Any], auth_factory: Identity
) -> None:
    client = make_client(**backend)
    alice = auth_factory(client)
    second = client.post(
        "/v1/api-keys",
        json={"name": "second", "scopes": ["read", "write"]},
        headers=alice.session_headers,
    )
    assert second.status_code == 201
    alice_second_key = {"Authorization": f"Bearer {second.json()['key']}"}
    bob = auth_factory(client)
    key = {"Idempotency-Key": _key()}
    body = {"name": "Scoped"}
    first: dict[str, Any] = {}
    callers = {
        "alice key": alice.headers,
        "alice second key": alice_second_key,
        "alice session": alice.session_headers,
        "bob key": bob.headers,
    }
    for name, headers in callers.items():
        response = client.post("/v1/projects", json=body, headers=key | headers)
        assert response.status_code == 201, name
        assert "idempotent-replayed" not in response.headers, name
        first[name] = response.json()
    assert first["bob key"]["organization"] == bob.organization_id
    replay = client.post("/v1/projects", json=body, headers=key | alice_second_key)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first["alice second key"]
    # A new session of the same user in the same organisation keeps the user's keys...
    relogin = client.post("/v1/auth/login", json={"email": alice.email, "password": alice.password})
    as_relogin = {"Authorization": f"Token {relogin.json()['token']}"}
    again = client.post("/v1/projects", json=body, headers=key | as_relogin)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first["alice session"]
    # ...but acting in another organisation, the same key is a new request there.
    side = client.post("/v1/organizations", json={"name": "Side"}, headers=alice.session_headers)
    assert side.status_code == 201
    side_login = client.post(
        "/v1/auth/login",
        json={
            "email": alice.email,
            "password": alice.password,
            "organization_id": side.json()["id"],
        },
    )
    as_side = {"Authorization": f"Token {side_login.json()['token']}"}
    elsewhere = client.post("/v1/projects", json=body, headers=key | as_side)
    assert elsewhere.status_code == 201
    assert "idempotent-replayed" not in elsewhere.headers
    assert elsewhere.json()["organization"] == side.json()["id"]
    assert _total(client, alice.headers) == 3
    assert _total(client, bob.headers) == 1
    assert _total(client, as_side) == 1


def test_anonymous_keys_are_scoped_per_ip(
    make_client: Make, backend: dict[str, Any], jobs: Any
) -> None:
    client = make_client(SCENARIO, handlers=jobs.handlers(), peer_header=True, **backend)
    key = _key()
    body = {"name": "anonymous"}
    here = {"Idempotency-Key": key, "X-Test-Peer": "10.0.0.1"}
    there = {"Idempotency-Key": key, "X-Test-Peer": "10.0.0.2"}
    first = client.post("/v1/jobs", json=body, headers=here)
    second = client.post("/v1/jobs", json=body, headers=there)
    for response in (first, second):
        assert response.status_code == 201
        assert "idempotent-replayed" not in response.headers
    assert first.json() != second.json()
    replay = client.post("/v1/jobs", json=body, headers=there)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == second.json()
    assert jobs.calls["createJob"] == 2


def test_secret_bearing_responses_are_never_stored(
    make_client: Make, backend: dict[str, Any], auth_factory: Identity
) -> None:
    """registerUser, loginUser and createApiKey opt out: a session token or key secret is
    returned once and never kept for a replay, even sealed."""
    client = make_client(**backend)
    me = auth_factory(client)
    before = _stored()
    key = {"Idempotency-Key": _key()}
    login = {"email": me.email, "password": me.password}
    tokens = [client.post("/v1/auth/login", json=login, headers=key) for _ in range(2)]
    assert [t.status_code for t in tokens] == [200, 200]
    assert tokens[0].json()["token"] != tokens[1].json()["token"]
    minted = [
        client.post(
            "/v1/api-keys",
            json={"name": "once", "scopes": ["read"]},
            headers=key | me.session_headers,
        )
        for _ in range(2)
    ]
    assert [m.status_code for m in minted] == [201, 201]
    assert minted[0].json()["key"] != minted[1].json()["key"]
    signup = {"email": "once@example.com", "password": "correct-horse-battery"}
    registered = [client.post("/v1/auth/register", json=signup, headers=key) for _ in range(2)]
    assert [r.status_code for r in registered] == [201, 409]
    for response in (*tokens, *minted, *registered):
        assert "idempotent-replayed" not in response.headers
    assert _stored() == before
    # The same key on an operation that opts in is stored (so the count above can move).
    project = client.post("/v1/projects", json={"name": "p"}, headers=key | me.headers)
    assert project.status_code == 201
    assert _stored() == before + 1


def test_concurrent_duplicate_is_409(make_client: Make, backend: dict[str, Any], jobs: Any) -> None:
    client = make_client(SCENARIO, handlers=jobs.handlers(), **backend)
    key = {"Idempotency-Key": _key()}
    body = {"name": "slow", "block": True}
    results: dict[str, Any] = {}
    first = threading.Thread(
        target=lambda: results.update(first=client.post("/v1/jobs", json=body, headers=key))
    )
    first.start()
    try:
        assert jobs.entered.wait(10)
        duplicate = client.post("/v1/jobs", json=body, headers=key)
        assert duplicate.status_code == 409
        assert duplicate.headers["retry-after"] == "1"
        assert duplicate.json()["error"]["code"] == "conflict"
        mismatch = client.post("/v1/jobs", json={"name": "other"}, headers=key)
        assert mismatch.status_code == 422
    finally:
        jobs.release.set()
        first.join(10)
    assert results["first"].status_code == 201
    replay = client.post("/v1/jobs", json=body, headers=key)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == results["first"].json()
    assert jobs.calls["createJob"] == 1


def test_errors_release_the_key(make_client: Make, backend: dict[str, Any], jobs: Any) -> None:
    client = make_client(SCENARIO, handlers=jobs.handlers(), **backend)
    key = {"Idempotency-Key": _key()}
    assert client.post("/v1/flaky", headers=key).status_code == 500
    retried = client.post("/v1/flaky", headers=key)
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    assert client.post("/v1/flaky", headers=key).headers["idempotent-replayed"] == "true"
    assert jobs.calls["createFlaky"] == 2

    other = {"Idempotency-Key": _key()}
    assert client.post("/v1/missing", headers=other).status_code == 404
    jobs.missing = False
    assert client.post("/v1/missing", headers=other).status_code == 201
    assert jobs.calls["createMissing"] == 2


def test_opted_out_operation_ignores_the_key(make_client: Make, jobs: Any) -> None:
    client = make_client(SCENARIO, handlers=jobs.handlers())
    key = {"Idempotency-Key": _key()}
    ids = {client.post("/v1/quiet", headers=key).json()["id"] for _ in range(2)}
    assert len(ids) == 2


@pytest.mark.redis
def test_replay_across_two_app_instances_sharing_redis(
    make_client: Make, auth_factory: Identity, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    first_app = make_client(database_url=url, redis_url=REDIS_URL)
    second_app = make_client(database_url=url, redis_url=REDIS_URL)
    me = auth_factory(first_app)
    key = {"Idempotency-Key": _key(), **me.headers}
    name = f"Shared-{secrets.token_hex(4)}"
    created = first_app.post("/v1/projects", json={"name": name}, headers=key)
    assert created.status_code == 201
    replayed = second_app.post("/v1/projects", json={"name": name}, headers=key)
    assert replayed.status_code == 201
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == created.json()
    assert second_app.post("/v1/projects", json={"name": "x"}, headers=key).status_code == 422
    assert _total(second_app, me.headers) == 1
    # What Redis holds is sealed: neither the body nor the name is readable there.
    store = redis.Redis.from_url(REDIS_URL)
    try:
        values = [
            store.hget(k, "response") or b"" for k in store.scan_iter("specway:idem:*", count=1000)
        ]
    finally:
        store.close()
    assert any(values)
    assert not any(name.encode() in v or created.json()["id"].encode() in v for v in values)


def test_redis_down_fails_closed_or_open(make_client: Make, auth_factory: Identity) -> None:
    dead = "redis://127.0.0.1:1/0"
    closed = make_client(redis_url=dead)
    me = auth_factory(closed)
    refused = closed.post(
        "/v1/projects", json={"name": "x"}, headers={"Idempotency-Key": _key(), **me.headers}
    )
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "service_unavailable"
    assert (
        closed.post("/v1/projects", json={"name": "no key"}, headers=me.headers).status_code == 201
    )
    health = closed.get("/health")
    assert health.status_code == 503
    assert health.json()["error"]["details"]["checks"]["redis"] == {"status": "down"}
    opened = make_client(redis_url=dead, plugin_config={"idempotency": {"failure": "open"}})
    ran = opened.post(
        "/v1/projects", json={"name": "x"}, headers={"Idempotency-Key": _key(), **me.headers}
    )
    assert ran.status_code == 201


def test_a_request_that_outlives_its_lock_is_not_stored(make_client: Make, jobs: Any) -> None:
    client = make_client(SCENARIO, handlers=jobs.handlers())
    backend = client.app.state.services["idempotency"]  # type: ignore[attr-defined]
    now = [0.0]
    backend.clock = lambda: now[0]
    key = {"Idempotency-Key": _key()}
    body = {"name": "slow", "block": True}
    results: dict[str, Any] = {}
    first = threading.Thread(
        target=lambda: results.update(first=client.post("/v1/jobs", json=body, headers=key))
    )
    first.start()
    try:
        assert jobs.entered.wait(10)
        now[0] += 61  # past the 60 s in-flight lock
    finally:
        jobs.release.set()
        first.join(10)
    assert results["first"].status_code == 201
    again = client.post("/v1/jobs", json=body, headers=key)
    assert "idempotent-replayed" not in again.headers
    assert jobs.calls["createJob"] == 2
