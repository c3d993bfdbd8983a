"""The program every SDK README opens with: create a resource, list it across pages, get a 404.

:func:`quickstart` picks the operations once from the IR, so the Python, TypeScript and Go
READMEs show the same three steps (and the tests run each one against a live server):

1. ``create`` with the required string fields of its body,
2. ``list`` with a small page size, iterating over every item across pages,
3. ``get`` of an id that does not exist (but is well-formed), caught as the typed not-found
   error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from specway.codegen.ir import ApiIR, Operation, Schema

_PAGE_SIZE_PARAMS = ("per_page", "page_size", "limit")


@dataclass(frozen=True, slots=True)
class Quickstart:
    """The operations of the README program and the values it sends."""

    create: Operation
    list: Operation
    get: Operation
    fields: tuple[tuple[str, str], ...]  # (property, value) of the create body
    page_size_param: str | None
    missing_id: str


def _resolve(ir: ApiIR, schema: Schema) -> Schema:
    seen: set[str] = set()
    while schema.kind == "ref" and schema.ref and schema.ref not in seen:
        seen.add(schema.ref)
        schema = ir.schema(schema.ref).schema
    return schema


def _string_fields(ir: ApiIR, op: Operation) -> tuple[tuple[str, str], ...] | None:
    """The required body properties with a value each, when they are all plain strings."""
    if op.body is None or not op.body.content_type.startswith("application/json"):
        return None
    schema = _resolve(ir, op.body.schema)
    if schema.kind != "object":
        return None
    example = op.body.example if isinstance(op.body.example, dict) else {}
    fields = []
    for prop in schema.properties:
        if not prop.required:
            continue
        target = _resolve(ir, prop.schema)
        if target.kind != "string" or target.enum or target.format:
            return None
        value = example.get(prop.name)
        fields.append((prop.name, value if isinstance(value, str) else f"example-{prop.name}"))
    return tuple(fields)


def _missing_id(get: Operation) -> str:
    """An id no resource has that still matches the parameter's pattern (so the API says 404,
    not 400): ``proj_doesnotexist0`` for ``proj_…`` ids."""
    param = get.path_parameters[0]
    example = param.example if isinstance(param.example, str) else ""
    prefix = example.rsplit("_", 1)[0] + "_" if "_" in example else ""
    pattern = param.schema.constraints.pattern
    for candidate in (f"{prefix}doesnotexist0", "does-not-exist", example):
        if candidate and (pattern is None or _matches(pattern, candidate)):
            return candidate
    return "does-not-exist"


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return True


def quickstart(ir: ApiIR) -> Quickstart | None:
    """The first resource with a create, a paged list and a get by id; ``None`` without one."""
    for tag in ir.tags:
        ops = tag.operations
        for create in ops:
            if create.method != "post" or create.path_parameters:
                continue
            fields = _string_fields(ir, create)
            if fields is None:
                continue
            listing = next(
                (
                    op
                    for op in ops
                    if op.method == "get"
                    and op.path == create.path
                    and op.pagination is not None
                    and not any(p.required for p in op.parameters)
                ),
                None,
            )
            get = next(
                (
                    op
                    for op in ops
                    if op.method == "get"
                    and len(op.path_parameters) == 1
                    and op.path.rsplit("/", 1)[0] == create.path
                    and op.path.endswith("}")
                    and _resolve(ir, op.path_parameters[0].schema).kind == "string"
                ),
                None,
            )
            if listing is None or get is None:
                continue
            names = {p.name for p in listing.query_parameters}
            size = next((n for n in _PAGE_SIZE_PARAMS if n in names), None)
            return Quickstart(create, listing, get, fields, size, _missing_id(get))
    return None
