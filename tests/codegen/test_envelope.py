"""Docs show errors and pages exactly as the gateway sends them."""

from __future__ import annotations

from typing import Any

import pytest

from specway.codegen.envelope import error_codes, error_example, field_details, pagination_example
from specway.errors import STATUS_ERRORS
from specway.pagination import PageRequest, list_response
from specway.plugins.errors.envelope import ErrorBody, error_document
from specway.spec import ErrorsConfig, PaginationConfig


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value[:1]]
    return type(value).__name__ if value is not None else None


@pytest.mark.parametrize("style", ["nested", "status-wrapped", "flat", "problem"])
@pytest.mark.parametrize("case", ["lower", "upper"])
def test_error_envelope_matches_gateway(style: str, case: str) -> None:
    details = [{"field": "name", "reason": "required"}]
    gateway = error_document(
        ErrorsConfig(style=style, code_case=case),  # type: ignore[arg-type]
        ErrorBody(400, "invalid_request", "Invalid", details, "req_1"),
    )
    docs = error_example(style, case, 400, "invalid_request", "Invalid", details)
    assert _shape(docs) == _shape(gateway)
    code_key = "code" if style in ("flat", "problem") else None
    code = docs[code_key] if code_key else docs["error"]["code"]
    assert code == ("INVALID_REQUEST" if case == "upper" else "invalid_request")


@pytest.mark.parametrize("layout", ["list", "map", "object"])
def test_field_details_layout_and_renames_match_gateway(layout: str) -> None:
    for failing in (["name"], ["name", "type"]):
        details = [{"field": f, "in": "body", "reason": "required"} for f in failing]
        config = ErrorsConfig(
            style="status-wrapped",
            code_case="upper",
            codes={"invalid_request": "BAD_INPUT"},
            field_details=layout,  # type: ignore[arg-type]
            retry_after_field=True,
        )
        gateway = error_document(
            config,
            ErrorBody(400, "invalid_request", "Invalid", details, "req_1", {"retry_after": 3}),
        )
        docs = error_example(
            "status-wrapped",
            "upper",
            400,
            "invalid_request",
            "Invalid",
            field_details(layout, details),
            renames=(("invalid_request", "BAD_INPUT"),),
            extra={"retry_after": 3},
        )
        assert docs["error"]["code"] == gateway["error"]["code"] == "BAD_INPUT"
        assert docs["error"]["details"] == gateway["error"]["details"]
        assert _shape(docs) == _shape(gateway)


def test_renamed_codes_keep_their_status() -> None:
    codes = error_codes(
        ["RATE_LIMIT_EXCEEDED", "NOT_FOUND"], {}, (("rate_limited", "RATE_LIMIT_EXCEEDED"),)
    )
    assert [(c.code, c.status) for c in codes] == [("NOT_FOUND", 404), ("RATE_LIMIT_EXCEEDED", 429)]


def test_error_codes_match_gateway() -> None:
    from specway.codegen.envelope import KNOWN_CODES

    gateway = {cls.code: (cls.status, cls.default_message) for cls in STATUS_ERRORS.values()}
    assert gateway == KNOWN_CODES


@pytest.mark.parametrize("style", ["page", "drf", "meta", "keyed", "status-wrapped"])
def test_pagination_example_matches_gateway(style: str) -> None:
    config = PaginationConfig(style=style, key="projects")  # type: ignore[arg-type]
    items = [{"id": "proj_1"}]
    body, _headers = list_response(config, items, 40, PageRequest(1, 20), "/v1/projects", {})
    assert _shape(pagination_example(style, "projects", items, "/v1/projects")) == _shape(body)
