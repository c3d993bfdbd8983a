"""Idempotency-Key: replay, mismatch 422, in-flight 409, scoping, 5xx release, shared Redis."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

Make = Callable[..., TestClient]
SCENARIO = Path(__file__).resolve().parents[2] / "fixtures" / "idempotency" / "openapi.yaml"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _key() -> str:
    return f"test-{secrets.token_hex(8)}"


def _total(client: TestClient, principal: str | None = None) -> int:
    headers = {"X-Test-Key": principal} if principal else {}
    return int(client.get("/v1/projects", headers=headers).json()["pagination"]["total"])


def test_first_response_is_replayed(make_client: Make, backend: dict[str, Any]) -> None:
    client = make_client(**backend)
    key = {"Idempotency-Key": _key()}
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
    assert _total(client) == 1
    without_key = client.post("/v1/projects", json={"name": "Once"})
    assert without_key.status_code == 201
    assert _total(client) == 2


def test_same_key_other_body_is_422(make_client: Make, backend: dict[str, Any]) -> None:
    client = make_client(**backend)
    key = {"Idempotency-Key": _key()}
    assert client.post("/v1/projects", json={"name": "A"}, headers=key).status_code == 201
    other = client.post("/v1/projects", json={"name": "B"}, headers=key)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "unprocessable_entity"
    assert other.json()["error"]["request_id"] == other.headers["x-request-id"]
    assert _total(client) == 1


def test_patch_opts_in(make_client: Make, backend: dict[str, Any]) -> None:
    client = make_client(**backend)
    project = client.post("/v1/projects", json={"name": "P"}).json()
    key = {"Idempotency-Key": _key()}
    first = client.patch(f"/v1/projects/{project['id']}", json={"name": "Q"}, headers=key)
    client.patch(f"/v1/projects/{project['id']}", json={"name": "R"})
    replay = client.patch(f"/v1/projects/{project['id']}", json={"name": "Q"}, headers=key)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert replay.json()["name"] == "Q"
    assert client.get(f"/v1/projects/{project['id']}").json()["name"] == "R"


@pytest.mark.parametrize(
    ("value", "reason"), [("k" * 256, "too long"), ("has space", "not visible ASCII")]
)
def test_bad_keys_are_400(make_client: Make, value: str, reason: str) -> None:
    client = make_client()
    response = client.post("/v1/projects", json={"name": "x"}, headers={"Idempotency-Key": value})
    assert response.status_code == 400
    assert response.json()["error"]["details"] == [
        {"field": "Idempotency-Key", "in": "header", "reason": reason}
    ]
    ok = client.post("/v1/projects", json={"name": "x"}, headers={"Idempotency-Key": "k" * 255})
    assert ok.status_code == 201


def test_keys_are_scoped_per_principal_and_per_ip(
    make_client: Make, backend: dict[str, Any], tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    here = make_client(database_url=url, client=("10.0.0.1", 1000), **backend)
    there = make_client(database_url=url, client=("10.0.0.2", 1000), **backend)
    key = _key()
    body = {"name": "Scoped"}
    for client, principal in ((here, "key_1"), (here, "key_2"), (here, None), (there, None)):
        headers = {"Idempotency-Key": key} | ({"X-Test-Key": principal} if principal else {})
        response = client.post("/v1/projects", json=body, headers=headers)
        assert response.status_code == 201
        assert "idempotent-replayed" not in response.headers
    replay = here.post(
        "/v1/projects", json=body, headers={"Idempotency-Key": key, "X-Test-Key": "key_2"}
    )
    assert replay.headers["idempotent-replayed"] == "true"
    assert _total(here) == 2
    assert _total(here, "key_1") == 2


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
def test_replay_across_two_app_instances_sharing_redis(make_client: Make, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    first_app = make_client(database_url=url, redis_url=REDIS_URL)
    second_app = make_client(database_url=url, redis_url=REDIS_URL)
    key = {"Idempotency-Key": _key(), "X-Test-Key": "key_shared"}
    name = f"Shared-{secrets.token_hex(4)}"
    created = first_app.post("/v1/projects", json={"name": name}, headers=key)
    assert created.status_code == 201
    replayed = second_app.post("/v1/projects", json={"name": name}, headers=key)
    assert replayed.status_code == 201
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == created.json()
    assert second_app.post("/v1/projects", json={"name": "x"}, headers=key).status_code == 422
    assert _total(second_app, "key_shared") == 1
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


def test_redis_down_fails_closed_or_open(make_client: Make) -> None:
    dead = "redis://127.0.0.1:1/0"
    closed = make_client(redis_url=dead)
    refused = closed.post("/v1/projects", json={"name": "x"}, headers={"Idempotency-Key": _key()})
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "service_unavailable"
    assert closed.post("/v1/projects", json={"name": "no key"}).status_code == 201
    health = closed.get("/health")
    assert health.status_code == 503
    assert health.json()["error"]["details"]["checks"]["redis"] == {"status": "down"}
    opened = make_client(redis_url=dead, plugin_config={"idempotency": {"failure": "open"}})
    ran = opened.post("/v1/projects", json={"name": "x"}, headers={"Idempotency-Key": _key()})
    assert ran.status_code == 201


def test_a_request_that_outlives_its_lock_is_not_stored(make_client: Make, jobs: Any) -> None:
    client = make_client(SCENARIO, handlers=jobs.handlers())
    backend = client.app.app.state.services["idempotency"]  # type: ignore[attr-defined]
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
