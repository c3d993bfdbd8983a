"""jsonschema-rs answers "valid?" first; it never accepts a body the Python validator refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from connexion.json_schema import Draft4RequestValidator, resolve_refs
from jsonschema import Draft4Validator

from specway.plugins.errors.validation import JSONBodyValidator
from specway.spec import load_model

ROOT = Path(__file__).resolve().parents[3]
CASES: list[tuple[dict[str, Any], Any]] = [
    ({"type": "integer"}, 1.0),
    ({"type": "integer"}, True),
    ({"type": "number"}, True),
    ({"maximum": 5, "exclusiveMaximum": True}, 5),
    ({"type": "string", "format": "date-time"}, "2024-01-01T00:00:00z"),
    ({"type": "string", "format": "date-time"}, "2024-01-01T00:00:60Z"),
    ({"type": "string", "format": "date-time"}, "2024-01-01"),
    ({"type": "string", "format": "email"}, "a@b"),
    ({"type": "string", "format": "email"}, "no-at-sign"),
    ({"type": "string", "format": "ipv4"}, "01.2.3.4"),
    ({"type": "string", "format": "ipv4"}, "256.0.0.1"),
    ({"type": "string", "format": "ipv6"}, "::1::"),
    ({"type": "string", "format": "regex"}, "("),
    ({"type": "string", "maxLength": 2}, "ééé"),
    ({"type": "string", "pattern": "^[a-z]+$"}, "abc1"),
    ({"uniqueItems": True}, [1, 1.0]),
    ({"type": "object", "additionalProperties": False, "properties": {"a": {}}}, {"b": 1}),
    ({"type": "string", "nullable": True}, None),
    ({"type": "string", "enum": ["a"], "nullable": True}, None),
    ({"type": "object", "required": ["name"]}, {}),
    ({"minProperties": 1}, {}),
    ({"type": "array", "maxItems": 1}, [1, 2]),
]


def _python_accepts(schema: dict[str, Any], body: Any) -> bool:
    validator = Draft4RequestValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    return not any(True for _ in validator.iter_errors(body))


def _validator(schema: dict[str, Any]) -> JSONBodyValidator:
    return JSONBodyValidator(
        schema=schema, required=True, nullable=False, encoding="utf-8", strict_validation=False
    )


@pytest.mark.parametrize(("schema", "body"), CASES)
def test_the_fast_check_is_never_more_lenient(schema: dict[str, Any], body: Any) -> None:
    fast = _validator(schema)._fast
    assert fast is not None
    if fast.is_valid(body):
        assert _python_accepts(schema, body), f"jsonschema-rs accepted {body!r} for {schema}"


def test_every_request_body_of_the_reference_spec_compiles() -> None:
    document = resolve_refs(load_model(ROOT / "openapi.yaml").document)
    compiled = 0
    for item in document["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            content = ((operation.get("requestBody") or {}).get("content")) or {}
            schema = (content.get("application/json") or {}).get("schema")
            if schema is not None:
                assert _validator(schema)._fast is not None, operation.get("operationId")
                compiled += 1
    assert compiled >= 20


def test_a_refused_body_still_gets_the_python_validators_error_list() -> None:
    from specway.plugins.errors.validation import RequestValidationProblem

    schema = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string", "maxLength": 3}, "n": {"type": "integer"}},
    }
    with pytest.raises(RequestValidationProblem) as raised:
        _validator(schema)._validate({"name": "toolong", "n": "x"})
    fields = sorted(d["field"] for d in raised.value.details)  # type: ignore[attr-defined]
    assert fields == ["n", "name"]
    assert _validator(schema)._validate({"name": "ok", "n": 1}) is None
