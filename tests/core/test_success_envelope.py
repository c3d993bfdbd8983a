"""``x-specway-envelope``: reading, lint, and the gateway wrapping bare handler results."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from specway import context
from specway.errors import NotFound
from specway.pagination import list_response, page_request
from specway.plugins.errors.envelope import ErrorBody, error_document
from specway.spec import ErrorsConfig, Level, build_model, lint_document

_ERROR = {"$ref": "#/components/responses/Error"}
_RESPONSES = {"200": {"description": "ok"}, "400": _ERROR, "404": _ERROR}


def _op(op_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "operationId": op_id,
        "summary": op_id,
        "tags": ["Things"],
        "security": [],
        "responses": _RESPONSES,
        **extra,
    }


PAGE = {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}
BASE: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "servers": [{"url": "/v1"}],
    "x-specway-plugins": ["request_id", "errors"],
    "x-specway-errors": {"style": "status-wrapped"},
    "x-specway-pagination": {"style": "status-wrapped"},
    "x-specway-envelope": {"style": "status-wrapped", "timestamp": True},
    "paths": {
        "/things": {
            "get": _op("listThings", parameters=[{"$ref": "#/components/parameters/Page"}]),
            "post": _op("createThing"),
        },
        "/things/{id}": {
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "get": _op("getThing"),
            "delete": _op("deleteThing"),
        },
        "/plain": {"get": _op("getPlain", **{"x-specway-envelope": {"style": "none"}})},
    },
    "components": {
        "parameters": {"Page": PAGE},
        "responses": {
            "Error": {
                "description": "e",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        },
        "schemas": {"Error": {"type": "object"}},
    },
}


def test_model_reads_the_envelope_with_operation_overrides() -> None:
    model, problems = build_model(copy.deepcopy(BASE))
    assert problems == []
    assert model.envelope.style == "status-wrapped"
    get = model.operation("getThing")
    assert (get.envelope.style, get.envelope.timestamp, get.paginated) == (
        "status-wrapped",
        True,
        False,
    )
    assert model.operation("listThings").paginated  # a $ref'd `page` query parameter
    assert not model.operation("createThing").paginated
    assert model.operation("getPlain").envelope.style == "none"


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"style": "wrapped"}, "/x-specway-envelope/style"),
        ({"style": "status-wrapped", "timestamps": True}, "/x-specway-envelope"),
        ({"timestamp": "yes"}, "/x-specway-envelope/timestamp"),
    ],
)
def test_bad_envelope_is_a_lint_error_with_its_pointer(value: dict[str, Any], where: str) -> None:
    doc = copy.deepcopy(BASE)
    doc["x-specway-envelope"] = value
    errors = [p for p in lint_document(doc) if p.level == Level.ERROR]
    assert [p.pointer for p in errors] == [where], errors
    if "timestamps" in value:
        assert "timestamp" in errors[0].fix


def test_lint_warns_when_the_envelope_would_wrap_another_list_style() -> None:
    doc = copy.deepcopy(BASE)
    doc["x-specway-pagination"] = {"style": "meta"}
    warnings = [p for p in lint_document(doc) if p.level == Level.WARNING]
    assert [p.pointer for p in warnings] == ["/paths/~1things/get"]
    assert "status-wrapped" in warnings[0].fix
    assert [p for p in lint_document(copy.deepcopy(BASE)) if p.level == Level.WARNING] == []


async def list_things(page: int | None = None) -> Any:
    op = context.operation()
    request = page_request(op.pagination, page, None)
    body, headers = list_response(op.pagination, [{"id": "t1"}], 1, request, "/v1/things", {})
    return body, 200, headers


async def create_thing() -> Any:
    return {"id": "t1"}, 201, {"Location": "/v1/things/t1"}


async def get_thing(id: str) -> Any:
    if id == "missing":
        raise NotFound("Thing not found")
    return {"id": id, "status": "success"}


async def delete_thing(id: str) -> Any:
    return None, 204


def get_plain() -> Any:
    return {"ok": True}, 200


HANDLERS = {
    "listThings": list_things,
    "createThing": create_thing,
    "getThing": get_thing,
    "deleteThing": delete_thing,
    "getPlain": get_plain,
}


@pytest.fixture
def things(app_factory: Callable[..., TestClient], tmp_path: Path) -> TestClient:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(BASE), encoding="utf-8")
    return app_factory(spec, handlers=HANDLERS)


def test_single_objects_are_wrapped_with_a_timestamp(things: TestClient) -> None:
    got = things.get("/v1/things/t7")
    assert got.status_code == 200, got.text
    body = got.json()
    assert list(body) == ["status", "data", "meta"]
    assert body["status"] == "success"
    assert body["data"] == {"id": "t7", "status": "success"}
    assert body["meta"]["timestamp"].endswith("Z")
    created = things.post("/v1/things")
    assert created.status_code == 201
    assert created.headers["Location"] == "/v1/things/t1"
    assert created.json()["data"] == {"id": "t1"}


def test_lists_204_errors_and_opted_out_operations_are_not_wrapped(things: TestClient) -> None:
    listed = things.get("/v1/things?page=1").json()
    assert listed["status"] == "success"
    assert listed["data"] == [{"id": "t1"}]
    assert listed["meta"]["total_items"] == 1
    deleted = things.delete("/v1/things/t1")
    assert (deleted.status_code, deleted.content) == (204, b"")
    missing = things.get("/v1/things/missing")
    assert missing.status_code == 404
    assert missing.json()["status"] == "error"
    assert missing.json()["error"]["code"] == "not_found"
    assert "data" not in missing.json()
    assert things.get("/v1/plain").json() == {"ok": True}


def test_without_the_extension_bodies_leave_as_returned(
    app_factory: Callable[..., TestClient], tmp_path: Path
) -> None:
    doc = copy.deepcopy(BASE)
    del doc["x-specway-envelope"]
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(doc), encoding="utf-8")
    client = app_factory(spec, handlers=HANDLERS)
    assert client.get("/v1/things/t7").json() == {"id": "t7", "status": "success"}


def test_field_details_object_is_the_first_failing_field() -> None:
    config = ErrorsConfig(
        style="status-wrapped",
        code_case="upper",
        field_details="object",
        field_reasons={"required": "required_field_missing"},
    )
    one = [{"field": "name", "in": "body", "reason": "required"}]
    plain = ErrorsConfig(style="nested", field_details="object")
    assert error_document(plain, ErrorBody(400, "invalid_request", "x", one))["error"][
        "details"
    ] == {"field": "name", "reason": "required"}
    doc = error_document(config, ErrorBody(400, "invalid_request", "Invalid", one, "req_1"))
    assert doc == {
        "status": "error",
        "error": {
            "code": "INVALID_REQUEST",
            "message": "Invalid",
            "request_id": "req_1",
            "details": {"field": "name", "reason": "required_field_missing"},
        },
    }
    two = [*one, {"field": "type", "in": "body", "reason": "too long"}]
    details = error_document(config, ErrorBody(400, "invalid_request", "x", two))["error"][
        "details"
    ]
    assert details == {"field": "name", "reason": "required_field_missing", "errors": two}
    context_only = {"resource_id": "r1"}
    assert (
        error_document(config, ErrorBody(404, "not_found", "x", context_only))["error"]["details"]
        == context_only
    )
