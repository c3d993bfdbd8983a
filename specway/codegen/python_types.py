"""Schemas as Python: annotations, decode expressions and model plans for the Python SDK.

Every component schema becomes either a dataclass (objects, and ``allOf`` of objects merged into
one) or a type alias (enums as ``Literal``, scalars, arrays, maps, ``oneOf``/``anyOf`` unions).
Presence and null are kept apart: a required field is never ``UNSET``; an optional one defaults
to ``UNSET``; ``nullable`` adds ``| None``. What cannot be typed faithfully is a problem with its
JSON pointer, reported with the others before anything is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from specway.codegen.ir import ApiIR, NamedSchema, Property, Schema
from specway.codegen.schema_index import SchemaIndex
from specway.spec import Problem

_SCALARS = {"integer": "int", "number": "float", "boolean": "bool", "any": "Any"}


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """One dataclass field: its annotation, how to decode it from JSON, and its docs."""

    name: str
    python_name: str
    annotation: str
    required: bool
    decode: str
    description: str


@dataclass(frozen=True, slots=True)
class ModelPlan:
    """A generated dataclass."""

    name: str
    model: str
    description: str
    fields: tuple[FieldPlan, ...]


@dataclass(frozen=True, slots=True)
class AliasPlan:
    """A generated type alias; ``variants`` names the models a union decodes into."""

    name: str
    model: str
    description: str
    annotation: str
    variants: tuple[tuple[str, tuple[str, ...]], ...] = ()
    discriminator: str | None = None
    mapping: tuple[tuple[str, str], ...] = ()


def py_literal(value: object) -> str:
    """A Python literal in the style ``ruff format`` keeps (double-quoted strings)."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def literal(values: tuple[object, ...]) -> str:
    return "Literal[" + ", ".join(py_literal(v) for v in values if v is not None) + "]"


class PythonTypes(SchemaIndex):
    """Type translation for one IR; problems are appended to ``problems``."""

    def __init__(self, ir: ApiIR, problems: list[Problem]) -> None:
        super().__init__(ir)
        self.problems = problems
        self.models: dict[str, ModelPlan] = {}
        self.aliases: dict[str, AliasPlan] = {}
        self.model_names = frozenset(n.name for n in ir.schemas if self._is_model(n.schema))
        self.union_names = frozenset(
            n.name
            for n in ir.schemas
            if n.schema.kind in ("one_of", "any_of")
            and any(v.ref in self.model_names for v in n.schema.variants)
        )
        for named in ir.schemas:
            self._plan(named)

    # --- classification --------------------------------------------------------------------

    def _is_model(self, schema: Schema) -> bool:
        if schema.kind == "object":
            return bool(schema.properties)
        return schema.kind == "all_of" and len(schema.variants) != 1

    def _plan(self, named: NamedSchema) -> None:
        schema = named.schema
        if self._is_model(schema):
            props = self.object_properties(schema)
            if props is None:
                self.problems.append(
                    Problem(
                        schema.pointer,
                        "allOf mixes object and non-object parts: the Python SDK cannot merge it",
                        "make every allOf part an object schema",
                    )
                )
                props = ()
            fields = tuple(self.field(p) for p in props)
            self.models[named.name] = ModelPlan(
                named.name,
                named.model,
                schema.description,
                tuple(sorted(fields, key=lambda f: not f.required)),
            )
            return
        if schema.kind in ("one_of", "any_of"):
            self.aliases[named.name] = self._union(named)
            return
        self.aliases[named.name] = AliasPlan(
            named.name, named.model, schema.description, self.annotation(schema)
        )

    def _union(self, named: NamedSchema) -> AliasPlan:
        schema = named.schema
        annotation = self.annotation(schema)
        variants: list[tuple[str, tuple[str, ...]]] = []
        for part in schema.variants:
            target = self.resolve(part)
            if part.kind == "ref" and part.ref in self.model_names:
                required = tuple(p.name for p in self.models_props(part.ref) if p.required)
                variants.append((self.named[part.ref].model, required))
            elif self._is_model(target) or target.kind in ("one_of", "any_of"):
                self.problems.append(
                    Problem(
                        part.pointer,
                        f"{schema.kind.replace('_', '')} variant is an inline object: the Python "
                        "SDK needs a named schema to decode it into",
                        "move the variant to components/schemas and $ref it",
                    )
                )
        disc = schema.discriminator
        mapping = tuple(
            (value, self.named[ref.rsplit("/", 1)[-1]].model)
            for value, ref in (disc.mapping if disc else ())
            if ref.rsplit("/", 1)[-1] in self.named
        )
        return AliasPlan(
            named.name,
            named.model,
            schema.description,
            annotation,
            variants=tuple(variants),
            discriminator=disc.property_name if disc else None,
            mapping=mapping,
        )

    def models_props(self, name: str) -> tuple[Property, ...]:
        return self.object_properties(self.named[name].schema) or ()

    # --- annotations and decoders ----------------------------------------------------------

    def field(self, prop: Property) -> FieldPlan:
        annotation = self.annotation(prop.schema)
        if not prop.required:
            annotation += " | Unset"
        if prop.schema.nullable and annotation != "Any":
            annotation += " | None"
        source = f'data["{prop.name}"]'
        decode = self.decode(prop.schema, source)
        if not prop.required:
            decode = (
                f'data.get("{prop.name}", UNSET)'
                if decode == source
                else f'UNSET if "{prop.name}" not in data else {decode}'
            )
        return FieldPlan(
            prop.name,
            prop.python_name,
            annotation,
            prop.required,
            decode,
            " ".join(prop.schema.description.split()),
        )

    def annotation(self, schema: Schema) -> str:
        """The Python type of values of ``schema`` (without ``None``/``Unset``)."""
        if schema.kind == "ref" and schema.ref:
            return self.named[schema.ref].model
        if schema.kind == "string":
            if schema.enum:
                return literal(schema.enum)
            return {"date-time": "datetime.datetime", "date": "datetime.date"}.get(
                schema.format or "", "bytes | str" if schema.format == "binary" else "str"
            )
        if schema.kind in ("integer", "number") and schema.enum:
            return literal(schema.enum)
        if schema.kind in _SCALARS:
            return _SCALARS[schema.kind]
        if schema.kind == "array":
            return f"list[{self.annotation(schema.items) if schema.items else 'Any'}]"
        if schema.kind == "object":
            extra = schema.additional_properties
            if not schema.properties and isinstance(extra, Schema):
                return f"dict[str, {self.annotation(extra)}]"
            return "dict[str, Any]"
        if schema.kind == "all_of" and len(schema.variants) == 1 and not schema.properties:
            return self.annotation(schema.variants[0])
        if schema.kind in ("one_of", "any_of"):
            parts = [self.annotation(v) for v in schema.variants]
            return " | ".join(dict.fromkeys(parts)) or "Any"
        return "dict[str, Any]"

    def decode(self, schema: Schema, expr: str, depth: int = 0) -> str:
        """An expression turning the JSON value ``expr`` into a value of ``annotation``."""
        inner = self._decode(schema, expr, depth)
        if schema.nullable and inner != expr:
            return f"None if {expr} is None else {inner}"
        return inner

    def _decode(self, schema: Schema, expr: str, depth: int) -> str:
        if schema.kind == "ref" and schema.ref:
            if schema.ref in self.model_names:
                return f"{self.named[schema.ref].model}.from_dict({expr})"
            if schema.ref in self.union_names:
                return f"_decode_{self.named[schema.ref].model}({expr})"
            return self.decode(self.named[schema.ref].schema, expr, depth)
        if schema.kind == "string" and schema.format == "date-time":
            return f"parse_datetime({expr})"
        if schema.kind == "string" and schema.format == "date":
            return f"parse_date({expr})"
        if schema.kind == "number" and not schema.enum:
            return f"float({expr})"
        var = f"v{depth}"
        if schema.kind == "array" and schema.items is not None:
            item = self.decode(schema.items, var, depth + 1)
            return f"list({expr})" if item == var else f"[{item} for {var} in {expr}]"
        extra = schema.additional_properties
        if schema.kind == "object" and not schema.properties and isinstance(extra, Schema):
            value = self.decode(extra, var, depth + 1)
            if value == var:
                return f"dict({expr})"
            return f"{{k{depth}: {value} for k{depth}, {var} in {expr}.items()}}"
        if schema.kind == "all_of" and len(schema.variants) == 1 and not schema.properties:
            return self.decode(schema.variants[0], expr, depth)
        return expr
