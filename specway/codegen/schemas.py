"""Read raw JSON Schemas (OpenAPI 3.0 dialect) into :class:`codegen.ir.Schema` values.

References to ``#/components/schemas/<name>`` stay references by name, so recursion needs no
special case here; any other local ``$ref`` is inlined. Problems (unresolved references, names
that collide after case conversion, cycles no finite value can satisfy) are collected with their
JSON pointers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from specway.codegen.ir import Constraints, Discriminator, Property, Schema, SchemaKind
from specway.codegen.naming import python_identifier, ts_identifier
from specway.spec import Problem
from specway.spec.loader import resolve_pointer
from specway.spec.problems import pointer

COMPONENT_PREFIX = "#/components/schemas/"
_TYPES: dict[str, SchemaKind] = {
    "object": "object",
    "array": "array",
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
}


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _num(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


class SchemaReader:
    """Turns raw schemas of one bundled document into IR schemas, collecting problems."""

    def __init__(self, document: Mapping[str, Any], problems: list[Problem]) -> None:
        self.document = document
        self.problems = problems
        components = (document.get("components") or {}).get("schemas") or {}
        self.component_names = frozenset(components)

    def read(self, raw: Any, at: str, _inlining: tuple[str, ...] = ()) -> Schema:
        """The IR of ``raw`` found at JSON pointer ``at``."""
        if not isinstance(raw, dict):
            return Schema(kind="any", pointer=at)
        ref = raw.get("$ref")
        if isinstance(ref, str):
            return self._ref(ref, at, _inlining)
        common: dict[str, Any] = {
            "pointer": at,
            "nullable": bool(raw.get("nullable", False)),
            "description": str(raw.get("description") or ""),
            "format": str(raw["format"]) if "format" in raw else None,
            "enum": tuple(raw["enum"]) if isinstance(raw.get("enum"), list) else None,
            "default": raw.get("default"),
            "has_default": "default" in raw,
            "example": raw.get("example"),
            "has_example": "example" in raw,
            "constraints": self._constraints(raw),
            "read_only": bool(raw.get("readOnly", False)),
            "write_only": bool(raw.get("writeOnly", False)),
            "deprecated": bool(raw.get("deprecated", False)),
            "raw": raw,
        }
        combinators: tuple[tuple[str, SchemaKind], ...] = (
            ("oneOf", "one_of"),
            ("anyOf", "any_of"),
            ("allOf", "all_of"),
        )
        for key, combinator in combinators:
            parts = raw.get(key)
            if isinstance(parts, list):
                variants = tuple(
                    self.read(part, f"{at}/{key}/{i}", _inlining) for i, part in enumerate(parts)
                )
                return Schema(
                    kind=combinator,
                    variants=variants,
                    discriminator=self._discriminator(raw.get("discriminator")),
                    properties=self._properties(raw, at, _inlining),
                    **common,
                )
        kind: SchemaKind | None = _TYPES.get(str(raw.get("type")))
        if kind is None:
            kind = "object" if "properties" in raw else "array" if "items" in raw else "any"
        if kind == "object":
            additional = raw.get("additionalProperties", True)
            return Schema(
                kind="object",
                properties=self._properties(raw, at, _inlining),
                additional_properties=(
                    self.read(additional, f"{at}/additionalProperties", _inlining)
                    if isinstance(additional, dict)
                    else bool(additional)
                ),
                **common,
            )
        if kind == "array":
            return Schema(
                kind="array", items=self.read(raw.get("items"), f"{at}/items", _inlining), **common
            )
        return Schema(kind=kind, **common)

    def _ref(self, ref: str, at: str, inlining: tuple[str, ...]) -> Schema:
        if ref.startswith(COMPONENT_PREFIX) and "/" not in ref[len(COMPONENT_PREFIX) :]:
            name = ref[len(COMPONENT_PREFIX) :].replace("~1", "/").replace("~0", "~")
            if name in self.component_names:
                return Schema(kind="ref", ref=name, pointer=at)
        elif ref.startswith("#"):
            try:
                target = resolve_pointer(self.document, ref[1:])
            except (KeyError, IndexError, ValueError):
                target = None
            if target is not None:
                if ref in inlining:
                    self.problems.append(
                        Problem(
                            at,
                            f"$ref cycle through {ref!r} cannot be rendered",
                            "move it to components/schemas",
                        )
                    )
                    return Schema(kind="any", pointer=at)
                return self.read(target, at, (*inlining, ref))
        self.problems.append(
            Problem(at, f"unresolved $ref {ref!r}", "point it at an existing schema")
        )
        return Schema(kind="any", pointer=at)

    def _properties(
        self, raw: dict[str, Any], at: str, inlining: tuple[str, ...]
    ) -> tuple[Property, ...]:
        props = raw.get("properties")
        if not isinstance(props, dict):
            return ()
        required = set(raw.get("required") or [])
        result: list[Property] = []
        seen: dict[str, str] = {}
        for name, sub in props.items():
            py = python_identifier(str(name))
            if py in seen:
                self.problems.append(
                    Problem(
                        pointer(*_tokens(at), "properties", name),
                        f"properties {seen[py]!r} and {name!r} collide after case conversion "
                        f"(both become {py!r})",
                        "rename one of them",
                    )
                )
            seen[py] = str(name)
            result.append(
                Property(
                    name=str(name),
                    schema=self.read(sub, f"{at}{pointer('properties', name)}", inlining),
                    required=name in required,
                    python_name=py,
                    ts_name=str(name) if str(name).isidentifier() else ts_identifier(str(name)),
                )
            )
        return tuple(result)

    @staticmethod
    def _constraints(raw: dict[str, Any]) -> Constraints:
        return Constraints(
            min_length=_int(raw.get("minLength")),
            max_length=_int(raw.get("maxLength")),
            pattern=str(raw["pattern"]) if "pattern" in raw else None,
            minimum=_num(raw.get("minimum")),
            maximum=_num(raw.get("maximum")),
            exclusive_minimum=bool(raw.get("exclusiveMinimum", False)),
            exclusive_maximum=bool(raw.get("exclusiveMaximum", False)),
            multiple_of=_num(raw.get("multipleOf")),
            min_items=_int(raw.get("minItems")),
            max_items=_int(raw.get("maxItems")),
            unique_items=bool(raw.get("uniqueItems", False)),
            min_properties=_int(raw.get("minProperties")),
            max_properties=_int(raw.get("maxProperties")),
        )

    @staticmethod
    def _discriminator(raw: Any) -> Discriminator | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("propertyName"), str):
            return None
        mapping = raw.get("mapping") or {}
        return Discriminator(
            property_name=raw["propertyName"],
            mapping=tuple((str(k), str(v)) for k, v in mapping.items()),
        )


def _tokens(at: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in at.split("/")[1:]]


def must_contain(schema: Schema) -> frozenset[str]:
    """Names of component schemas that every valid instance of ``schema`` must contain."""
    if schema.accepts_null:
        return frozenset()
    if schema.kind == "ref" and schema.ref:
        return frozenset({schema.ref})
    if schema.kind == "all_of":
        found: set[str] = set()
        for part in schema.variants:
            found |= must_contain(part)
        for prop in schema.properties:
            if prop.required:
                found |= must_contain(prop.schema)
        return frozenset(found)
    if schema.kind in ("one_of", "any_of"):
        sets = [must_contain(part) for part in schema.variants]
        return frozenset.intersection(*sets) if sets else frozenset()
    if schema.kind == "object":
        found = set()
        for prop in schema.properties:
            if prop.required:
                found |= must_contain(prop.schema)
        return frozenset(found)
    if schema.kind == "array" and schema.items and (schema.constraints.min_items or 0) > 0:
        return must_contain(schema.items)
    return frozenset()


def unrenderable_cycles(schemas: Mapping[str, Schema]) -> list[Problem]:
    """A problem for each cycle of schemas that must contain themselves (no finite instance)."""
    edges = {name: sorted(must_contain(schema) & set(schemas)) for name, schema in schemas.items()}
    problems: list[Problem] = []
    reported: set[frozenset[str]] = set()

    def visit(name: str, path: list[str]) -> None:
        for nxt in edges[name]:
            if nxt in path:
                cycle = path[path.index(nxt) :]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    start = min(cycle)
                    i = cycle.index(start)
                    ordered = [*cycle[i:], *cycle[:i], start]
                    problems.append(
                        Problem(
                            pointer("components", "schemas", start),
                            "schema cycle " + " → ".join(ordered) + " cannot be rendered: "
                            "every instance would have to contain itself",
                            "make one property on the cycle optional (or nullable with a type)",
                        )
                    )
            elif len(path) < len(edges):
                visit(nxt, [*path, nxt])

    for name in sorted(edges):
        visit(name, [name])
    return problems
