"""Hexabase.AI (seed 001): the documented requests against ``examples/hexabase``.

The caller registers through the reference API on the same database (Hexabase documents key
creation through its CLI); the ``hks_live_`` key itself is minted by the Hexabase API.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from handlers.services.deployment_runner import DeploymentJob, DeploymentRunner
from specway.cli import main
from tests.conftest import AuthIdentity
from tests.examples.support import example_spec, shape_problems
from tests.plugins.webhooks.webhooks_support import Receiver

WORKSPACE = {"id": "ws_123", "name": "production", "description": "Production environment"}
# The seed's pagination block ("data": [...] shown as one workspace).
WORKSPACES = {
    "data": [WORKSPACE],
    "pagination": {"page": 1, "per_page": 20, "total": 100, "pages": 5},
    "links": {
        "first": "https://api.hexabase.ai/v1/workspaces?page=1",
        "last": "https://api.hexabase.ai/v1/workspaces?page=5",
        "next": "https://api.hexabase.ai/v1/workspaces?page=2",
    },
}
# The seed's error block; details vary by error.
ERROR = {"error": {"code": "RESOURCE_NOT_FOUND", "message": "m", "request_id": "req_a1b2c3d4"}}
NOT_FOUND = {
    "error": {
        "code": "RESOURCE_NOT_FOUND",
        "message": "Workspace 'ws_123' not found",
        "details": {"resource_type": "workspace", "resource_id": "ws_123"},
        "request_id": "req_a1b2c3d4",
    }
}
VENDOR_V1 = "application/vnd.hexabase.v1+json"


def check(response: Any, status: int, documented: Any) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    problems = shape_problems(documented, body)
    assert not problems, problems
    return body


def error_code(response: Any, status: int) -> str:
    body = check(response, status, ERROR)
    assert body["error"]["request_id"] == response.headers["x-request-id"]
    code: str = body["error"]["code"]
    assert code == code.upper()
    return code


class Hexabase:
    """A Hexabase client, its caller (registered through the reference API) and a key."""

    def __init__(self, client: TestClient, identity: AuthIdentity) -> None:
        self.client = client
        self.identity = identity
        self.session = {"Authorization": f"Bearer {identity.session_token}"}
        self.key = self.mint("My API Key", ["read", "write", "delete", "admin"])
        self.auth = {"Authorization": f"Bearer {self.key}"}

    def mint(self, name: str, scopes: list[str], **extra: Any) -> str:
        made = self.client.post(
            "/v1/api-keys", json={"name": name, "scopes": scopes, **extra}, headers=self.session
        )
        assert made.status_code == 201, made.text
        key: str = made.json()["key"]
        return key


@pytest.fixture
def hexa(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> Hexabase:
    identity = auth_factory(app_factory())
    return Hexabase(example_client("hexabase"), identity)


def test_keys_are_hks_live_and_other_prefixes_are_refused(hexa: Hexabase) -> None:
    assert hexa.key.startswith("hks_live_")
    assert hexa.client.get("/v1/workspaces", headers=hexa.auth).status_code == 200
    # The reference API's sk_live_ key is not a Hexabase key.
    refused = hexa.client.get("/v1/workspaces", headers=hexa.identity.headers)
    assert error_code(refused, 401) == "UNAUTHORIZED"
    assert error_code(hexa.client.get("/v1/workspaces"), 401) == "UNAUTHORIZED"


def test_documented_workspace_requests_replay(hexa: Hexabase) -> None:
    client, auth = hexa.client, hexa.auth
    empty = check(client.get("/v1/workspaces", headers=auth), 200, WORKSPACES)
    assert empty["data"] == []
    assert empty["pagination"]["total"] == 0
    body = {"name": "production", "description": "Production environment"}
    made = check(client.post("/v1/workspaces", json=body, headers=auth), 201, WORKSPACE)
    assert made["id"].startswith("ws_")
    assert made["name"] == "production"
    assert made["description"] == "Production environment"
    staging = {"name": "staging", "region": "us-west-2"}
    other = check(client.post("/v1/workspaces", json=staging, headers=auth), 201, WORKSPACE)
    assert other["region"] == "us-west-2"

    quota = {"resource_quota": {"cpu": "100", "memory": "200Gi"}}
    updated = client.put(f"/v1/workspaces/{made['id']}", json=quota, headers=auth)
    assert check(updated, 200, WORKSPACE)["resource_quota"] == quota["resource_quota"]
    got = check(client.get(f"/v1/workspaces/{made['id']}", headers=auth), 200, WORKSPACE)
    assert got["resource_quota"] == quota["resource_quota"]

    page = check(client.get("/v1/workspaces?per_page=1", headers=auth), 200, WORKSPACES)
    assert page["pagination"] == {"page": 1, "per_page": 1, "total": 2, "pages": 2}
    links = {
        rel: parse_qs(urlsplit(href).query)["page"] for rel, href in page["links"].items() if href
    }
    assert links == {"first": ["1"], "next": ["2"], "last": ["2"]}
    # Absolute, as the seed writes them ("https://api.hexabase.ai/v1/workspaces?page=2").
    assert all(
        href.startswith("http://testserver/v1/workspaces?")
        for href in page["links"].values()
        if href
    )

    gone = client.delete(f"/v1/workspaces/{other['id']}", headers=auth)
    assert gone.status_code == 204, gone.text
    missing = check(client.get(f"/v1/workspaces/{other['id']}", headers=auth), 404, NOT_FOUND)
    assert missing["error"]["details"] == {"resource_type": "workspace", "resource_id": other["id"]}


def test_unknown_workspace_is_resource_not_found(hexa: Hexabase) -> None:
    response = hexa.client.get("/v1/workspaces/ws_123", headers=hexa.auth)
    body = check(response, 404, NOT_FOUND)
    assert body["error"]["code"] == "RESOURCE_NOT_FOUND"
    assert body["error"]["details"] == {"resource_type": "workspace", "resource_id": "ws_123"}
    assert body["error"]["request_id"] == response.headers["x-request-id"]


def test_batch_creates_projects(hexa: Hexabase) -> None:
    operations = [
        {"method": "POST", "path": "/projects", "body": {"name": "my-app"}},
        {"method": "POST", "path": "/projects", "body": {"name": "my-api"}},
        {"method": "POST", "path": "/projects", "body": {}},
    ]
    response = hexa.client.post("/v1/batch", json={"operations": operations}, headers=hexa.auth)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 201, 400]
    assert results[2]["body"]["error"]["code"] == "INVALID_REQUEST"
    listed = hexa.client.get("/v1/projects", headers=hexa.auth).json()
    assert sorted(p["name"] for p in listed["data"]) == ["my-api", "my-app"]
    assert set(listed) == {"data", "pagination", "links"}


class _Gate:
    """A deployment step that holds every deployment until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    async def __call__(self, job: DeploymentJob) -> None:
        self.entered.set()
        await asyncio.to_thread(self.release.wait, 10)


def test_deployment_status_and_conflict(hexa: Hexabase, tmp_path: Path) -> None:
    client, auth = hexa.client, hexa.auth
    runner: DeploymentRunner = client.app.state.services["deployments"]  # type: ignore[attr-defined]
    gate = _Gate()
    runner.step = gate  # type: ignore[method-assign]
    project = client.post("/v1/projects", json={"name": "my-app"}, headers=auth).json()
    base = f"/v1/projects/{project['id']}/deployments"
    try:
        deployed = client.post(base, json={"version": "v1.0.0"}, headers=auth)
        assert deployed.status_code == 201, deployed.text
        status = client.get(f"{base}/{deployed.json()['id']}", headers=auth).json()["status"]
        assert status in ("pending", "in_progress")
        busy = client.post(base, json={"version": "v1.0.1"}, headers=auth)
        assert error_code(busy, 409) == "CONFLICT"
    finally:
        gate.release.set()
    with closing(sqlite3.connect(tmp_path / "specway.db")) as db:
        rows = db.execute("SELECT type FROM webhook_events").fetchall()
    assert ("deployment.created",) in rows


def test_webhook_registration_as_documented(hexa: Hexabase) -> None:
    client, auth = hexa.client, hexa.auth

    async def public_dns(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]  # myapp.com, resolved without the network

    client.app.state.services["webhooks"].guard.resolver = public_dns  # type: ignore[attr-defined]
    workspace = client.post("/v1/workspaces", json={"name": "w"}, headers=auth).json()
    body = {
        "url": "https://myapp.com/webhook",
        "events": ["deployment.created", "deployment.failed"],
        "workspace_id": workspace["id"],
    }
    made = client.post("/v1/webhooks", json=body, headers=auth)
    assert made.status_code == 201, made.text
    assert made.json()["events"] == ["deployment.created", "deployment.failed"]
    assert made.json()["secret"].startswith("whsec_")
    unknown = client.post("/v1/webhooks", json={**body, "workspace_id": "ws_123"}, headers=auth)
    assert check(unknown, 404, NOT_FOUND)["error"]["details"]["resource_type"] == "workspace"


def test_error_codes_for_bad_input(hexa: Hexabase) -> None:
    client, auth = hexa.client, hexa.auth
    bad = client.post("/v1/workspaces", json={"description": "no name"}, headers=auth)
    assert error_code(bad, 400) == "INVALID_REQUEST"
    assert bad.json()["error"]["details"] == {"field": "name", "reason": "required"}
    reader = {"Authorization": f"Bearer {hexa.mint('reader', ['read'])}"}
    denied = client.post("/v1/workspaces", json={"name": "x"}, headers=reader)
    assert error_code(denied, 403) == "FORBIDDEN"
    first = client.post(
        "/v1/projects", json={"name": "a"}, headers={**auth, "Idempotency-Key": "k-1"}
    )
    assert first.status_code == 201, first.text
    reused = client.post(
        "/v1/projects", json={"name": "b"}, headers={**auth, "Idempotency-Key": "k-1"}
    )
    assert error_code(reused, 422) == "UNPROCESSABLE_ENTITY"


def test_ip_allow_list(hexa: Hexabase) -> None:
    elsewhere = hexa.mint("ci", ["read"], allowed_ips=["203.0.113.0/24", "198.51.100.0/24"])
    refused = hexa.client.get("/v1/workspaces", headers={"Authorization": f"Bearer {elsewhere}"})
    assert error_code(refused, 403) == "FORBIDDEN"
    assert refused.json()["error"]["details"] == {"reason": "ip_not_allowed"}


def test_rate_limit_is_100_per_minute_then_429(hexa: Hexabase) -> None:
    client, auth = hexa.client, hexa.auth
    limiter = client.app.state.services["ratelimit"]  # type: ignore[attr-defined]
    limiter.backend.clock = lambda: 1_800_000_000.0  # time stands still: nothing refills
    first = client.get("/v1/workspaces", headers=auth)
    assert first.headers["X-RateLimit-Limit"] == "100"
    remaining = int(first.headers["X-RateLimit-Remaining"])
    for _ in range(remaining):
        assert client.get("/v1/workspaces", headers=auth).status_code == 200
    limited = client.get("/v1/workspaces", headers=auth)
    assert error_code(limited, 429) == "RATE_LIMITED"
    assert int(limited.headers["Retry-After"]) > 0


def test_audit_log_records_key_ip_and_status(hexa: Hexabase) -> None:
    client, auth = hexa.client, hexa.auth
    made = client.post("/v1/workspaces", json={"name": "audited"}, headers=auth)
    assert made.status_code == 201, made.text
    entries = client.get("/v1/audit-logs", headers=auth).json()["data"]
    entry = next(e for e in entries if e["action"] == "workspace.created")
    assert entry["actor_type"] == "api_key"
    assert entry["api_key_id"]
    assert entry["ip_address"]
    assert entry["status"] == 201
    assert entry["method"] == "POST"
    assert entry["path"] == "/v1/workspaces"


def test_version_by_accept_header(hexa: Hexabase) -> None:
    client, auth = hexa.client, hexa.auth
    asked = client.get("/v1/workspaces", headers={**auth, "Accept": VENDOR_V1})
    assert asked.status_code == 200, asked.text
    assert asked.headers["content-type"] == VENDOR_V1
    check(asked, 200, WORKSPACES)
    bare = client.get("/v1/workspaces", headers={**auth, "Accept": "application/vnd.hexabase+json"})
    assert bare.headers["content-type"] == VENDOR_V1
    plain = client.get("/v1/workspaces", headers=auth)
    assert plain.headers["content-type"] == "application/json"
    v2 = client.get(
        "/v1/workspaces", headers={**auth, "Accept": "application/vnd.hexabase.v2+json"}
    )
    assert error_code(v2, 406) == "NOT_ACCEPTABLE"
    assert v2.json()["error"]["details"]["supported"] == [VENDOR_V1]
    either = client.get(
        "/v1/workspaces",
        headers={**auth, "Accept": "application/vnd.hexabase.v2+json, application/json;q=0.5"},
    )
    assert either.status_code == 200
    assert either.headers["content-type"] == "application/json"
    created = client.post(
        "/v1/workspaces", json={"name": "v"}, headers={**auth, "Accept": VENDOR_V1}
    )
    assert created.status_code == 201
    assert created.headers["content-type"] == VENDOR_V1
    missing = client.get("/v1/workspaces/ws_123", headers={**auth, "Accept": VENDOR_V1})
    assert missing.status_code == 404
    assert json.loads(missing.content)["error"]["code"] == "RESOURCE_NOT_FOUND"


def test_deployment_webhook_is_signed_sha256(hexa: Hexabase) -> None:
    client, auth = hexa.client, hexa.auth
    receiver = Receiver()
    receiver.start()
    try:
        body = {"url": receiver.url, "events": ["deployment.created", "deployment.failed"]}
        made = client.post("/v1/webhooks", json=body, headers=auth)
        assert made.status_code == 201, made.text
        secret = made.json()["secret"]
        project = client.post("/v1/projects", json={"name": "my-app"}, headers=auth).json()
        deployed = client.post(
            f"/v1/projects/{project['id']}/deployments", json={"version": "v1.0.0"}, headers=auth
        )
        assert deployed.status_code == 201, deployed.text
        (got, *_) = receiver.wait_for(1)
    finally:
        receiver.stop()
    payload = got.json()
    assert payload["event"] == "deployment.created"
    assert payload["data"]["deployment"]["id"] == deployed.json()["id"]
    assert isinstance(payload["timestamp"], str)
    expected = hmac.new(secret.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-signature"] == f"sha256={expected}"


def test_keys_cli_mints_hks_live_keys_from_the_spec(
    example_client: Callable[..., TestClient],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("SPECWAY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'specway.db'}")
    monkeypatch.setenv("SPECWAY_SECRET_KEY", "test-secret-key-0123456789abcdef")
    monkeypatch.delenv("SPECWAY_REDIS_URL", raising=False)
    client = example_client("hexabase")
    spec = str(example_spec("hexabase"))
    args = ["keys", "generate", "--name", "My API Key", "--scope", "read", "--spec", spec]
    assert main(args) == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("hks_live_")
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/v1/workspaces", headers=auth).status_code == 200
    denied = client.post("/v1/workspaces", json={"name": "x"}, headers=auth)
    assert error_code(denied, 403) == "FORBIDDEN"


def test_docs_show_versioning_and_renamed_codes(tmp_path: Path) -> None:
    spec = str(example_spec("hexabase"))
    assert main(["codegen", "docs", "--spec", spec, "--out", str(tmp_path)]) == 0
    readme = (tmp_path / "README.md").read_text()
    assert "`Accept: application/vnd.hexabase.v1+json`" in readme
    assert "| `RESOURCE_NOT_FOUND` | 404 |" in readme
    assert "| `NOT_ACCEPTABLE` | 406 |" in readme
    assert "hks_live_" in readme


def test_sandbox_keys_are_hks_test_and_see_only_sandbox_data(hexa: Hexabase) -> None:
    """The seed's sandbox: test calls do not affect production."""
    key = hexa.mint("sandbox", ["read", "write"], test_mode=True)
    assert key.startswith("hks_test_")
    sandbox = {"Authorization": f"Bearer {key}"}
    made = hexa.client.post("/v1/workspaces", json={"name": "trial"}, headers=sandbox)
    assert made.status_code == 201, made.text
    assert made.headers["X-Specway-Mode"] == "test"
    live = hexa.client.get("/v1/workspaces", headers=hexa.auth).json()
    assert all(w["name"] != "trial" for w in live["data"])
    hidden = hexa.client.get(f"/v1/workspaces/{made.json()['id']}", headers=hexa.auth)
    assert error_code(hidden, 404) == "RESOURCE_NOT_FOUND"
    listed = hexa.client.get("/v1/workspaces", headers=sandbox).json()
    assert [w["name"] for w in listed["data"]] == ["trial"]
