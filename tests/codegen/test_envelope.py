"""Docs show errors and pages exactly as the gateway sends them."""

from __future__ import annotations

from typing import Any

import pytest

from codegen.envelope import error_example, pagination_example
from plugins.errors.envelope import ErrorBody, error_document
from spec import ErrorsConfig, PaginationConfig
from specway.errors import STATUS_ERRORS
from specway.pagination import PageRequest, list_response


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


def test_error_codes_match_gateway() -> None:
    from codegen.envelope import KNOWN_CODES

    gateway = {cls.code: (cls.status, cls.default_message) for cls in STATUS_ERRORS.values()}
    assert gateway == KNOWN_CODES


@pytest.mark.parametrize("style", ["page", "drf", "meta", "keyed", "status-wrapped"])
def test_pagination_example_matches_gateway(style: str) -> None:
    config = PaginationConfig(style=style, key="projects")  # type: ignore[arg-type]
    items = [{"id": "proj_1"}]
    body, _headers = list_response(config, items, 40, PageRequest(1, 20), "/v1/projects", {})
    assert _shape(pagination_example(style, "projects", items, "/v1/projects")) == _shape(body)
