"""Every error kind leaves in the configured envelope, for every style."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from specway.app import resolve_handlers
from specway.errors import Conflict
from specway.spec import load_model
from tests.conftest import write_variant

ROOT = Path(__file__).resolve().parents[3]
STYLES = ["nested", "status-wrapped", "flat", "problem"]


def error_of(style: str, body: dict[str, Any]) -> dict[str, Any]:
    """Normalise an error body of ``style`` to {code, message, details, request_id}."""
    if style == "nested":
        inner = body["error"]
        return {
            "code": inner["code"],
            "message": inner["message"],
            "details": inner.get("details"),
            "request_id": inner["request_id"],
        }
    if style == "status-wrapped":
        assert body["status"] == "error"
        inner = body["error"]
        return {
            "code": inner["code"],
            "message": inner["message"],
            "details": inner.get("details"),
            "request_id": inner["request_id"],
        }
    if style == "flat":
        assert body["timestamp"].endswith("Z")
        return {
            "code": body["code"],
            "message": body["error"],
            "details": body["details"],
            "request_id": body["request_id"],
        }
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str)
    return {
        "code": body["code"],
        "message": body["detail"],
        "details": body.get("details"),
        "request_id": body["request_id"],
        "status": body["status"],
    }


def _boom(**_: Any) -> Any:
    raise RuntimeError("internal detail: password=hunter2 at /srv/app.py")


def _db_down(**_: Any) -> Any:
    raise OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))


def _conflict(**_: Any) -> Any:
    raise Conflict("Project name already exists", details={"field": "name"})


@pytest.fixture(params=STYLES)
def styled(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., Any],
) -> tuple[str, TestClient]:
    style: str = request.param
    doc = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    doc["x-specway-errors"] = {"style": style}
    spec = write_variant(doc, tmp_path)
    handlers = resolve_handlers(load_model(spec))
    handlers["getApiIndex"] = _boom
    handlers["getHealth"] = _db_down
    handlers["deleteProject"] = _conflict
    client = app_factory(spec, handlers=handlers, max_body_size=1024)
    client.headers.update(auth_factory(client).headers)
    return style, client


def check(style: str, response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    expected_type = "application/problem+json" if style == "problem" else "application/json"
    assert response.headers["content-type"].startswith(expected_type)
    err = error_of(style, response.json())
    assert err["code"] == code
    assert err["request_id"] == response.headers["x-request-id"]
    assert err["request_id"]
    if style == "problem":
        assert err["status"] == status
    return err


def test_validation_lists_every_field(styled: tuple[str, TestClient]) -> None:
    style, client = styled
    response = client.post("/v1/projects", json={"description": 5, "status": "nope"})
    err = check(style, response, 400, "invalid_request")
    fields = {(d["field"], d["in"]) for d in err["details"]}
    assert {("name", "body"), ("description", "body"), ("status", "body")} <= fields


def test_query_parameter_errors(styled: tuple[str, TestClient]) -> None:
    style, client = styled
    err = check(
        style, client.get("/v1/projects?per_page=abc&order=sideways"), 400, "invalid_request"
    )
    assert {d["field"] for d in err["details"]} == {"per_page", "order"}


def test_malformed_json(styled: tuple[str, TestClient]) -> None:
    style, client = styled
    response = client.post(
        "/v1/projects", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    err = check(style, response, 400, "invalid_request")
    assert "malformed JSON" in err["details"][0]["reason"]


def test_unknown_route_and_wrong_method(styled: tuple[str, TestClient]) -> None:
    style, client = styled
    check(style, client.get("/v1/nothing-here"), 404, "not_found")
    response = client.put("/v1/projects")
    check(style, response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, HEAD, POST"


def test_unsupported_media_type(styled: tuple[str, TestClient]) -> None:
    style, client = styled
    response = client.post(
        "/v1/projects", content=b"name=x", headers={"content-type": "text/plain"}
    )
    check(style, response, 415, "unsupported_media_type")


def test_body_too_large_declared_and_streamed(styled: tuple[str, TestClient]) -> None:
    style, client = styled
    big = b'{"name": "' + b"x" * 4096 + b'"}'
    declared = client.post(
        "/v1/projects", content=big, headers={"content-type": "application/json"}
    )
    check(style, declared, 413, "payload_too_large")

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(8):
            yield b"x" * 512
        yield b'"}'

    streamed = client.post(
        "/v1/projects", content=chunks(), headers={"content-type": "application/json"}
    )
    check(style, streamed, 413, "payload_too_large")


def test_not_found_and_conflict_from_handlers(styled: tuple[str, TestClient]) -> None:
    style, client = styled
    err = check(style, client.get("/v1/projects/proj_missing"), 404, "not_found")
    assert err["details"] == {"resource_type": "project", "resource_id": "proj_missing"}
    created = client.post("/v1/projects", json={"name": "x"}).json()
    conflict = check(style, client.delete(f"/v1/projects/{created['id']}"), 409, "conflict")
    assert conflict["details"] == {"field": "name"}


def test_unhandled_exception_is_500_without_internals(styled: tuple[str, TestClient]) -> None:
    style, client = styled
    response = client.get("/v1")
    err = check(style, response, 500, "internal_error")
    assert err["message"] == "Internal server error"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text


def test_database_outage_is_503(styled: tuple[str, TestClient]) -> None:
    style, client = styled
    response = client.get("/health")
    check(style, response, 503, "service_unavailable")
    assert response.headers["retry-after"] == "5"


def test_upper_case_codes(
    tmp_path: Path, app_factory: Callable[..., TestClient], auth_factory: Callable[..., Any]
) -> None:
    doc = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    doc["x-specway-errors"] = {"style": "nested", "code_case": "upper"}
    client = app_factory(write_variant(doc, tmp_path))
    client.headers.update(auth_factory(client).headers)
    assert client.get("/v1/projects/proj_missing").json()["error"]["code"] == "NOT_FOUND"
    assert (
        client.get("/v1/projects/proj_missing", headers={"Authorization": "Bearer nope"}).json()[
            "error"
        ]["code"]
        == "UNAUTHORIZED"
    )
