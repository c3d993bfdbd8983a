"""Every synthesised example validates against its schema, for every schema of every fixture."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from specway.codegen.examples import ExampleSynthesizer, raw_schema
from specway.codegen.ir import ApiIR, Schema
from specway.codegen.parse import build_ir
from specway.codegen.patterns import example_for_pattern
from specway.spec import build_model, load_spec_document
from tests.codegen.conftest import FIXTURES, GOLDEN_SCENARIOS


def _strip_examples(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_examples(v) for k, v in node.items() if k not in ("example", "examples")}
    if isinstance(node, list):
        return [_strip_examples(v) for v in node]
    return node


def _schemas(ir: ApiIR) -> Iterator[tuple[str, Schema, str]]:
    for named in ir.schemas:
        yield named.name, named.schema, "response"
    for op in ir.operations:
        for p in op.parameters:
            yield f"{op.operation_id}.{p.name}", p.schema, "request"
        if op.body is not None:
            yield f"{op.operation_id}.body", op.body.schema, "request"
        for r in op.responses:
            if r.schema is not None:
                yield f"{op.operation_id}.{r.status}", r.schema, "response"
    for event in ir.webhooks:
        if event.schema is not None:
            yield event.name, event.schema, "response"


def _cases() -> Iterator[Any]:
    for scenario in GOLDEN_SCENARIOS:
        for strip in (False, True):
            yield pytest.param(
                scenario, strip, id=f"{scenario}-{'synthesised' if strip else 'spec'}"
            )


@pytest.mark.parametrize(("scenario", "strip"), list(_cases()))
def test_every_example_validates(scenario: str, strip: bool) -> None:
    document = load_spec_document(FIXTURES / scenario / "openapi.yaml")
    if strip:  # nothing but synthesis: no example from the spec may help
        document = _strip_examples(copy.deepcopy(document))
    model, _ = build_model(document)
    ir = build_ir(model)
    components = (document.get("components") or {}).get("schemas") or {}
    synth = ExampleSynthesizer({n.name: n.schema for n in ir.schemas}, components)
    checked = 0
    for where, schema, direction in _schemas(ir):
        value = synth.example(schema, direction)  # type: ignore[arg-type]
        root = {**raw_schema(schema), "components": {"schemas": components}}
        errors = list(OAS30Validator(root, format_checker=oas30_format_checker).iter_errors(value))
        assert not errors, f"{scenario} {where}: {value!r}: {errors[0].message}"
        checked += 1
    assert checked >= len(ir.schemas)


@pytest.mark.parametrize(
    "pattern",
    [
        r"^proj_[a-z0-9]{1,36}$",
        r"^[A-Z_][A-Z0-9_]*$",
        r"^[0-9a-f]{40}$",
        r"^node-[a-z]{3}\d{2}$",
        r"^(sk|pk)_(live|test)_[A-Za-z0-9]{32}$",
        r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$",
        r"(ab)\1-x?y+",
    ],
)
def test_pattern_examples_match(pattern: str) -> None:
    import re

    text = example_for_pattern(pattern)
    assert text is not None
    assert re.search(pattern, text)


def test_synthesis_respects_bounds_and_formats() -> None:
    from specway.codegen.schemas import SchemaReader

    reader = SchemaReader({}, [])
    synth = ExampleSynthesizer({}, {})
    cases = [
        {"type": "integer", "minimum": 10, "maximum": 20, "multipleOf": 7},
        {"type": "number", "minimum": 0, "maximum": 0.1, "exclusiveMinimum": True},
        {"type": "integer", "maximum": -5},
        {"type": "string", "minLength": 12},
        {"type": "string", "maxLength": 3},
        {"type": "string", "format": "uuid"},
        {
            "type": "array",
            "items": {"type": "string", "enum": ["a", "b"]},
            "minItems": 2,
            "uniqueItems": True,
        },
        {"type": "object", "minProperties": 2, "additionalProperties": {"type": "integer"}},
    ]
    for raw in cases:
        value = synth.example(reader.read(raw, "/x"))
        assert OAS30Validator(raw, format_checker=oas30_format_checker).is_valid(value), (
            raw,
            value,
        )
