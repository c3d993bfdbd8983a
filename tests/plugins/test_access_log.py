"""The access log: one structured record per request, never a query string or a header."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from specway.app import create_app
from specway.logs import JsonFormatter
from specway.principal import Principal
from specway.settings import Settings
from specway.types import SCOPE_PRINCIPAL, Receive, Scope, Send


def test_one_json_line_per_request(
    app_factory: Callable[..., TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    client = app_factory(plugins=("metrics",))
    with caplog.at_level(logging.INFO, logger="specway.access"):
        created = client.post(
            "/v1/projects?api_key=qs-SECRET",
            json={"name": "logged"},
            headers={"Authorization": "Bearer hdr-SECRET", "X-Request-ID": "req-from-client"},
        )
        missing = client.get("/v1/projects/proj_nothere")
    records = [r for r in caplog.records if r.name == "specway.access"]
    assert len(records) == 2
    lines = [json.loads(JsonFormatter().format(r)) for r in records]
    first, second = lines
    assert first["request_id"] == "req-from-client" == created.headers["x-request-id"]
    assert first["operation_id"] == "createProject"
    assert first["method"] == "POST"
    assert first["path"] == "/v1/projects"
    assert first["status"] == 201
    assert first["duration_ms"] > 0
    assert first["client_ip"] == "testclient"
    assert first["principal_id"] is None
    assert first["message"] == "POST /v1/projects 201"
    assert second["status"] == missing.status_code == 404
    assert second["operation_id"] == "getProject"
    assert "SECRET" not in json.dumps(lines)


def test_can_be_turned_off(
    app_factory: Callable[..., TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    client = app_factory(access_log=False)
    with caplog.at_level(logging.INFO, logger="specway.access"):
        assert client.get("/v1").status_code == 200
    assert [r for r in caplog.records if r.name == "specway.access"] == []


def test_principal_is_logged(
    settings_factory: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings=settings_factory(), plugins=())
    principal = Principal("api_key", "key_log", "org_log", key_id="key_log")

    async def with_principal(scope: Scope, receive: Receive, send: Send) -> None:
        scope[SCOPE_PRINCIPAL] = principal
        await app(scope, receive, send)

    with TestClient(with_principal) as client, caplog.at_level(logging.INFO, "specway.access"):
        assert client.get("/v1/projects").status_code == 200
    (record,) = [r for r in caplog.records if r.name == "specway.access"]
    assert record.__dict__["principal_id"] == "key_log"
    assert record.__dict__["organization_id"] == "org_log"
