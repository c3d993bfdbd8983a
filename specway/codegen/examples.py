"""Example values for schemas: the spec's own ``example`` when valid, else synthesised.

Synthesis respects formats, enums, defaults, minimum/maximum (exclusive too), multipleOf,
min/max length and items, patterns, required properties and discriminators, and stops at
recursion (an optional or nullable property that would re-enter a schema is left out). Every
synthesised example is meant to validate against its schema; the test suite checks that for
every schema of every fixture spec.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from openapi_schema_validator import OAS30Validator, oas30_format_checker

from specway.codegen.ir import Schema
from specway.codegen.patterns import example_for_pattern
from specway.codegen.schemas import COMPONENT_PREFIX

Direction = Literal["request", "response"]

FORMATS: dict[str, str] = {
    "date-time": "2024-01-15T10:30:00Z",
    "date": "2024-01-15",
    "time": "10:30:00",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uri-reference": "/v1/resource",
    "hostname": "api.example.com",
    "ipv4": "203.0.113.10",
    "ipv6": "2001:db8::1",
    "cidr": "203.0.113.0/24",
    "uuid": "3f2c9a4e-8b1d-4c6e-9f0a-2b7d5e1c8a90",
    "byte": "aGVsbG8gd29ybGQ=",
    "binary": "<binary data>",
    "password": "correct-horse-battery-staple",
    "duration": "PT5M",
}
NAME_HINTS: dict[str, str] = {
    "email": "user@example.com",
    "url": "https://example.com/",
    "name": "example",
    "description": "An example description",
    "message": "Example message",
    "title": "Example",
}


class _Skip(Exception):
    """Raised inside synthesis when a value would re-enter a schema on the stack."""


class ExampleSynthesizer:
    """Builds examples for IR schemas of one document."""

    def __init__(self, schemas: Mapping[str, Schema], components: Mapping[str, Any]) -> None:
        self.schemas = schemas
        self.components = components
        self._valid_cache: dict[str, bool] = {}

    # -- validation -------------------------------------------------------------------------

    def is_valid(self, value: Any, schema: Schema) -> bool:
        """Whether ``value`` validates against ``schema`` (formats checked)."""
        root = dict(raw_schema(schema))
        root["components"] = {"schemas": dict(self.components)}
        validator = OAS30Validator(root, format_checker=oas30_format_checker)
        return bool(validator.is_valid(value))

    # -- synthesis --------------------------------------------------------------------------

    def example(self, schema: Schema, direction: Direction | None = None, hint: str = "") -> Any:
        """An example for ``schema`` (the spec's own if it validates)."""
        try:
            return self._value(schema, direction, hint, (), 0)
        except _Skip:
            return None

    def _value(
        self,
        schema: Schema,
        direction: Direction | None,
        hint: str,
        stack: tuple[str, ...],
        index: int,
    ) -> Any:
        if schema.kind == "ref" and schema.ref:
            if schema.ref in stack:
                raise _Skip
            target = self.schemas[schema.ref]
            return self._value(target, direction, hint or schema.ref, (*stack, schema.ref), index)
        if schema.has_example and index == 0 and self._own_example_ok(schema):
            return schema.example
        if schema.enum:
            values = [v for v in schema.enum if v is not None] or [None]
            return values[index % len(values)]
        if schema.has_default and index == 0 and schema.kind not in ("object", "array"):
            return schema.default
        if schema.kind in ("one_of", "any_of"):
            return self._choice(schema, direction, hint, stack, index)
        if schema.kind == "all_of":
            merged: dict[str, Any] = {}
            for part in schema.variants:
                value = self._value(part, direction, hint, stack, index)
                if isinstance(value, dict):
                    merged.update(value)
                elif not merged:
                    return value
            merged.update(self._object_properties(schema, direction, stack, index))
            return merged
        if schema.kind == "object":
            return self._object(schema, direction, stack, index)
        if schema.kind == "array":
            return self._array(schema, direction, hint, stack)
        if schema.kind == "string":
            return self._string(schema, hint, index)
        if schema.kind in ("integer", "number"):
            return self._number(schema, index)
        if schema.kind == "boolean":
            return index % 2 == 0
        return {}

    def _own_example_ok(self, schema: Schema) -> bool:
        if schema.pointer not in self._valid_cache:
            self._valid_cache[schema.pointer] = self.is_valid(schema.example, schema)
        return self._valid_cache[schema.pointer]

    def _choice(
        self,
        schema: Schema,
        direction: Direction | None,
        hint: str,
        stack: tuple[str, ...],
        index: int,
    ) -> Any:
        for variant in schema.variants:
            try:
                value = self._value(variant, direction, hint, stack, index)
            except _Skip:
                continue
            disc = schema.discriminator
            if disc and isinstance(value, dict) and variant.kind == "ref" and variant.ref:
                tag = next(
                    (k for k, v in disc.mapping if v.rsplit("/", 1)[-1] == variant.ref),
                    variant.ref,
                )
                value = {**value, disc.property_name: tag}
            return value
        raise _Skip

    def _object_properties(
        self,
        schema: Schema,
        direction: Direction | None,
        stack: tuple[str, ...],
        index: int,
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        optional_budget = None
        if schema.constraints.max_properties is not None:
            optional_budget = schema.constraints.max_properties - len(schema.required_names)
        for prop in schema.properties:
            sub = self._resolve(prop.schema)
            if not prop.required and (
                (direction == "request" and sub.read_only)
                or (direction == "response" and sub.write_only)
            ):
                continue
            if not prop.required and optional_budget is not None:
                if optional_budget <= 0:
                    continue
                optional_budget -= 1
            try:
                result[prop.name] = self._value(prop.schema, direction, prop.name, stack, index)
            except _Skip:
                if prop.required:
                    if not prop.schema.accepts_null:
                        raise
                    result[prop.name] = None
        return result

    def _object(
        self,
        schema: Schema,
        direction: Direction | None,
        stack: tuple[str, ...],
        index: int,
    ) -> dict[str, Any]:
        result = self._object_properties(schema, direction, stack, index)
        extra = schema.additional_properties
        wanted = max(schema.constraints.min_properties or 0, 0 if result else 1)
        if isinstance(extra, Schema) or (extra is True and not schema.properties and wanted):
            n = 0
            while len(result) < max(wanted, 1 if not schema.properties else 0):
                key = "key" if n == 0 else f"key{n + 1}"
                if isinstance(extra, Schema):
                    try:
                        result[key] = self._value(extra, direction, key, stack, n)
                    except _Skip:
                        break
                else:
                    result[key] = "value"
                n += 1
        return result

    def _array(
        self, schema: Schema, direction: Direction | None, hint: str, stack: tuple[str, ...]
    ) -> list[Any]:
        if schema.items is None:
            return []
        count = max(schema.constraints.min_items or 0, 1)
        if schema.constraints.max_items is not None:
            count = min(count, schema.constraints.max_items)
        items: list[Any] = []
        for i in range(count):
            try:
                items.append(self._value(schema.items, direction, hint, stack, i))
            except _Skip:
                if (schema.constraints.min_items or 0) > 0:
                    raise
                return []
        return items

    def _resolve(self, schema: Schema) -> Schema:
        seen: set[str] = set()
        while schema.kind == "ref" and schema.ref and schema.ref not in seen:
            seen.add(schema.ref)
            schema = self.schemas[schema.ref]
        return schema

    @staticmethod
    def _string(schema: Schema, hint: str, index: int) -> str:
        c = schema.constraints
        text: str | None = None
        if schema.format in FORMATS:
            text = FORMATS[schema.format]
        elif c.pattern:
            text = example_for_pattern(c.pattern)
        if text is None:
            key = hint.lower()
            text = NAME_HINTS.get(key)
            if text is None and key.endswith("_at"):
                text = FORMATS["date-time"]
            if text is None:
                text = "string"
            if index:
                text = f"{text}{index + 1}"
            if c.min_length is not None and len(text) < c.min_length:
                text = text + "x" * (c.min_length - len(text))
            if c.max_length is not None and len(text) > c.max_length:
                text = text[: c.max_length]
        return text

    @staticmethod
    def _number(schema: Schema, index: int) -> int | float:
        c = schema.constraints
        integer = schema.kind == "integer"

        def fits(v: float) -> bool:
            if c.minimum is not None and (
                v < c.minimum or (c.exclusive_minimum and v == c.minimum)
            ):
                return False
            if c.maximum is not None and (
                v > c.maximum or (c.exclusive_maximum and v == c.maximum)
            ):
                return False
            return not c.multiple_of or math.isclose(v / c.multiple_of, round(v / c.multiple_of))

        candidates: list[float] = [1 + index if integer else 1.5 + index]
        for bound, step in ((c.minimum, 1), (c.maximum, -1)):
            if bound is not None:
                candidates += [bound, bound + step, bound + step * 0.5]
        if c.minimum is not None and c.maximum is not None:
            candidates.append((c.minimum + c.maximum) / 2)
        if c.multiple_of:
            candidates = [math.ceil(v / c.multiple_of) * c.multiple_of for v in candidates] + [
                math.floor(v / c.multiple_of) * c.multiple_of for v in candidates
            ]
        if integer:
            candidates = [float(math.ceil(v)) for v in candidates]
        value = next((v for v in candidates if fits(v)), candidates[0])
        return int(value) if integer else float(value)


def raw_schema(schema: Schema) -> dict[str, Any]:
    """The raw JSON Schema of an IR schema (a ``$ref`` for named references)."""
    if schema.kind == "ref" and schema.ref:
        return {"$ref": COMPONENT_PREFIX + schema.ref}
    return schema.raw
