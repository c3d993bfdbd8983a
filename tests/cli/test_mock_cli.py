"""``specway mock``: documented examples, ``Prefer``, validation and envelopes, on two specs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.testclient import TestClient

from specway.mock import create_mock_app, parse_prefer, schema_example
from specway.settings import Settings
from tests.conftest import write_variant

ROOT = Path(__file__).resolve().parents[2]
HEXABASE = ROOT / "examples" / "hexabase" / "openapi.yaml"
REFERENCE = ROOT / "openapi.yaml"
AUTH = {"Authorization": "Bearer anything"}


def documented(spec: Path, path: str, method: str, status: str) -> Any:
    """The ``example`` documented for one response in ``spec`` (read independently)."""
    document = yaml.safe_load(spec.read_text())
    response = document["paths"][path][method]["responses"][status]
    while "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["example"]


@pytest.fixture
def mock_client(tmp_path: Path) -> Iterator[Any]:
    clients: list[TestClient] = []

    def make(spec: Path) -> TestClient:
        settings = Settings(secret_key_file=str(tmp_path / "key"))
        client = TestClient(create_mock_app(spec, settings), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def test_parse_prefer() -> None:
    assert parse_prefer('code=404, example="staging"') == {"code": "404", "example": "staging"}
    assert parse_prefer("") == {}


def test_hexabase_examples_and_prefer(mock_client: Any) -> None:
    client = mock_client(HEXABASE)
    listed = client.get("/v1/workspaces", headers=AUTH)
    assert listed.status_code == 200
    assert listed.json() == documented(HEXABASE, "/workspaces", "get", "200")
    missing = client.get("/v1/workspaces/ws_123", headers={**AUTH, "Prefer": "code=404"})
    assert missing.status_code == 404
    assert missing.json() == documented(HEXABASE, "/workspaces/{workspace_id}", "get", "404")
    assert missing.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    created = client.post("/v1/workspaces", json={"name": "staging"}, headers=AUTH)
    assert created.status_code == 201
    assert set(created.json()) >= {"id", "name", "region", "resource_quota", "created_at"}
    deleted = client.delete("/v1/workspaces/ws_123", headers=AUTH)
    assert deleted.status_code == 204
    assert deleted.content == b""
    vendor = client.get(
        "/v1/workspaces", headers={**AUTH, "Accept": "application/vnd.hexabase.v1+json"}
    )
    assert vendor.headers["content-type"] == "application/vnd.hexabase.v1+json"


def test_unknown_preferences_are_400(mock_client: Any) -> None:
    client = mock_client(HEXABASE)
    unknown = client.get("/v1/workspaces", headers={**AUTH, "Prefer": "example=nope"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "INVALID_REQUEST"
    batch = {"operations": [{"method": "GET", "path": "/projects"}]}
    # 404 is not documented for the batch, so its ``default`` response answers it.
    fallback = client.post("/v1/batch", json=batch, headers={**AUTH, "Prefer": "code=404"})
    assert fallback.status_code == 404
    assert fallback.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    nonsense = client.post("/v1/batch", json=batch, headers={**AUTH, "Prefer": "code=abc"})
    assert nonsense.status_code == 400
    assert nonsense.json()["error"]["details"] == {"code": "abc"}


def test_prefer_example_picks_a_named_example(mock_client: Any, tmp_path: Path) -> None:
    document = yaml.safe_load(HEXABASE.read_text())
    media = document["paths"]["/workspaces"]["get"]["responses"]["200"]["content"]
    seed = media["application/json"].pop("example")
    empty = {"data": [], "pagination": {"page": 1, "per_page": 20, "total": 0, "pages": 0}}
    media["application/json"]["examples"] = {
        "seed": {"value": seed},
        "empty": {"summary": "No workspaces", "value": empty},
    }
    spec = write_variant(document, tmp_path, of=HEXABASE)
    client = mock_client(spec)
    assert client.get("/v1/workspaces", headers=AUTH).json() == seed
    chosen = client.get("/v1/workspaces", headers={**AUTH, "Prefer": "example=empty"})
    assert chosen.status_code == 200
    assert chosen.json() == empty
    unknown = client.get("/v1/workspaces", headers={**AUTH, "Prefer": "example=nope"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["details"] == {"documented": ["empty", "seed"]}


def test_validation_and_credentials_stay_on(mock_client: Any) -> None:
    client = mock_client(HEXABASE)
    invalid = client.post("/v1/workspaces", json={"nmae": "x"}, headers=AUTH)
    assert invalid.status_code == 400
    error = invalid.json()["error"]
    assert error["code"] == "INVALID_REQUEST"
    assert error["request_id"] == invalid.headers["x-request-id"]
    bad_path = client.get("/v1/workspaces/NOT-AN-ID", headers=AUTH)
    assert bad_path.status_code == 400
    anonymous = client.get("/v1/workspaces")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "UNAUTHORIZED"
    assert client.get("/v1/nowhere", headers=AUTH).status_code == 404


def test_reference_spec_mocks_every_path_and_builds_from_schemas(mock_client: Any) -> None:
    client = mock_client(REFERENCE)
    health = client.get("/health")
    assert health.status_code == 200
    assert set(health.json()) >= {"status", "version"}
    quota = {"resource_quota": {"cpu": "100", "memory": "200Gi"}}
    patched = client.patch("/v1/workspaces/ws_a1", json=quota, headers=AUTH)
    assert patched.status_code == 200
    assert isinstance(patched.json()["resource_quota"], dict)
    missing = client.get("/v1/projects/proj_1", headers={**AUTH, "Prefer": "code=404"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert missing.json()["error"]["request_id"] == missing.headers["x-request-id"]


def test_schema_example_follows_types() -> None:
    from specway.app import load_spec

    model = load_spec(REFERENCE)
    schema = {
        "type": "object",
        "properties": {
            "when": {"type": "string", "format": "date-time"},
            "n": {"type": "integer", "minimum": 3},
            "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
            "flag": {"type": "boolean"},
        },
    }
    assert schema_example(model, schema) == {
        "when": "2024-01-15T10:30:00Z",
        "n": 3,
        "tags": ["a"],
        "flag": True,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("spec", [HEXABASE, REFERENCE], ids=["hexabase", "reference"])
def test_specway_mock_command_serves_the_spec(spec: Path, tmp_path: Path) -> None:
    port = _free_port()
    log = (tmp_path / "mock.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "specway", "mock", "--spec", str(spec), "--port", str(port)],
        cwd=tmp_path,
        env={**os.environ, "SPECWAY_SECRET_KEY": "mock-test-secret-key-0123456789"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/v1"
    path = "/workspaces"
    try:
        deadline = time.monotonic() + 30
        response = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                response = httpx.get(base + path, headers=AUTH, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert response is not None, (tmp_path / "mock.log").read_text(errors="replace")
        assert response.status_code == 200
        docs_path = "/workspaces" if spec == HEXABASE else "/v1/workspaces"
        assert response.json() == documented(spec, docs_path, "get", "200")
        refused = httpx.post(base + path, json={}, headers=AUTH, timeout=5)
        assert refused.status_code == 400
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert "Traceback" not in (tmp_path / "mock.log").read_text(errors="replace")
