"""The access log: one structured record per request, never a query string or a header."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from specway.logs import JsonFormatter


def test_one_json_line_per_request(
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = app_factory(plugins=("metrics", "auth"))
    me = auth_factory(client)
    with caplog.at_level(logging.INFO, logger="specway.access"):
        created = client.post(
            f"/v1/projects?api_key=qs-SECRET&other={me.key}",
            json={"name": "logged"},
            headers={**me.headers, "X-Request-ID": "req-from-client"},
        )
        missing = client.get("/v1/projects/proj_nothere", headers=me.headers)
        refused = client.get("/v1/projects", headers={"Authorization": "Bearer hdr-SECRET"})
    records = [r for r in caplog.records if r.name == "specway.access"]
    assert len(records) == 3
    lines = [json.loads(JsonFormatter().format(r)) for r in records]
    first, second, third = lines
    assert created.status_code == 201
    assert first["request_id"] == "req-from-client" == created.headers["x-request-id"]
    assert first["operation_id"] == "createProject"
    assert first["method"] == "POST"
    assert first["path"] == "/v1/projects"
    assert first["status"] == 201
    assert first["duration_ms"] > 0
    assert first["client_ip"] == "testclient"
    assert first["principal_id"] == me.key_id
    assert first["organization_id"] == me.organization_id
    assert first["message"] == "POST /v1/projects 201"
    assert second["status"] == missing.status_code == 404
    assert second["operation_id"] == "getProject"
    assert second["principal_id"] == me.key_id
    assert third["status"] == refused.status_code == 401
    assert third["operation_id"] == "listProjects"
    assert third["principal_id"] is None
    dump = json.dumps(lines)
    assert "SECRET" not in dump
    assert me.key not in dump


def test_can_be_turned_off(
    app_factory: Callable[..., TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    client = app_factory(access_log=False)
    with caplog.at_level(logging.INFO, logger="specway.access"):
        assert client.get("/v1").status_code == 200
    assert [r for r in caplog.records if r.name == "specway.access"] == []


def test_principal_is_logged(
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = app_factory(plugins=("auth",))
    me = auth_factory(client)
    with caplog.at_level(logging.INFO, "specway.access"):
        assert client.get("/v1/projects", headers=me.headers).status_code == 200
        assert client.get("/v1/projects", headers=me.session_headers).status_code == 200
    by_key, by_session = [r for r in caplog.records if r.name == "specway.access"]
    assert by_key.__dict__["principal_id"] == me.key_id
    assert by_key.__dict__["organization_id"] == me.organization_id
    # A session is logged by its session id (never the token itself).
    assert by_session.__dict__["principal_id"].startswith("sess_")
    assert by_session.__dict__["principal_id"] != me.session_token
    assert by_session.__dict__["organization_id"] == me.organization_id


def test_path_under_a_base_path_is_logged_once(
    app_factory: Callable[..., TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    """A spec served under ``/v1`` (servers URL): the logged path is the one the client sent."""
    from pathlib import Path

    spec = Path(__file__).resolve().parents[2] / "examples" / "hexabase" / "openapi.yaml"
    client = app_factory(spec=spec)
    with caplog.at_level(logging.INFO, logger="specway.access"):
        response = client.get("/v1/workspaces")
    assert response.status_code == 401
    (record,) = [r for r in caplog.records if r.name == "specway.access"]
    line = json.loads(JsonFormatter().format(record))
    assert line["path"] == "/v1/workspaces"
    assert line["message"] == "GET /v1/workspaces 401"
