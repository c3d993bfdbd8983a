"""Which OpenAPI version a document is, and the JSON Schema dialect its schemas speak.

OpenAPI 3.0 schemas are an extended subset of JSON Schema draft 4 (``nullable``, boolean
``exclusiveMinimum``); OpenAPI 3.1 schemas are JSON Schema 2020-12 (type arrays, ``const``,
``prefixItems``, ``$defs``, ``$ref`` with siblings...). Everything here reads or rewrites the
plain document; nothing imports the runtime.

- :func:`iter_schemas` visits every Schema Object of a document with its JSON pointer tokens;
- :func:`normalise_nullable` rewrites OpenAPI 3.0's ``nullable: true`` left in a 3.1 document
  (e.g. a fragment written for 3.0) into the 2020-12 type array, so validators see ``null``;
- :func:`standalone_schema` is one schema of a 3.1 document as a self-contained 2020-12 schema
  (``$schema`` set, the components it references carried along), for a JSON Schema validator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

Document = dict[str, Any]
Tokens = tuple[str | int, ...]

JSON_SCHEMA_2020_12 = "https://json-schema.org/draft/2020-12/schema"
# The dialect OpenAPI 3.1 documents use unless ``jsonSchemaDialect`` says otherwise.
OAS31_DIALECT = "https://spec.openapis.org/oas/3.1/dialect/base"
SUPPORTED_DIALECTS = frozenset(
    {
        JSON_SCHEMA_2020_12,
        JSON_SCHEMA_2020_12 + "#",
        OAS31_DIALECT,
        "https://spec.openapis.org/oas/3.1/dialect/2024-11-10",
    }
)

# Keywords whose value is one subschema, a list of subschemas, or a map name -> subschema.
SINGLE_SUBSCHEMA = (
    "items",
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
    "additionalItems",
)
LIST_SUBSCHEMAS = ("allOf", "anyOf", "oneOf", "prefixItems")
MAP_SUBSCHEMAS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
# Keys of non-schema objects whose values are never walked for schemas (examples are data).
_DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const", "value"})
_VERSION = re.compile(r"^(\d+)\.(\d+)")


def oas_version(document: Document) -> str:
    """``"3.0"``, ``"3.1"``, ... (major.minor of ``openapi``), or ``""`` when it has none."""
    match = _VERSION.match(str(document.get("openapi", "")))
    return f"{match.group(1)}.{match.group(2)}" if match else ""


def is_oas31(document: Document) -> bool:
    """Whether ``document`` is OpenAPI 3.1 (JSON Schema 2020-12 schemas, top-level webhooks)."""
    return oas_version(document) == "3.1"


def webhooks_key(document: Document) -> str:
    """Where the event catalogue lives: ``webhooks`` in 3.1, Redoc's ``x-webhooks`` in 3.0."""
    return "webhooks" if is_oas31(document) else "x-webhooks"


def describe_version(document: Document) -> str:
    """One line naming the version read and its schema dialect, for ``specway spec lint``."""
    raw = str(document.get("openapi", "?"))
    if is_oas31(document):
        dialect = str(document.get("jsonSchemaDialect") or OAS31_DIALECT)
        return f"OpenAPI {raw} (schemas: JSON Schema 2020-12, dialect {dialect})"
    if oas_version(document) == "3.0":
        return f"OpenAPI {raw} (schemas: OpenAPI 3.0 Schema Objects, JSON Schema draft 4 subset)"
    return f"OpenAPI {raw}"


def iter_schemas(document: Document) -> Iterator[tuple[Tokens, Any]]:
    """Every Schema Object of ``document`` (dicts and boolean schemas), parents first."""
    components = document.get("components")
    for key, value in document.items():
        if key.startswith("x-") or key == "components":
            continue
        yield from _in_objects(value, (key,))
    if isinstance(components, dict):
        for kind, entries in components.items():
            if not isinstance(entries, dict) or kind.startswith("x-"):
                continue
            if kind == "schemas":
                for name, schema in entries.items():
                    yield from _in_schema(schema, ("components", "schemas", name))
            else:
                yield from _in_objects(entries, ("components", kind))


def _in_objects(node: Any, at: Tokens) -> Iterator[tuple[Tokens, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str) or key.startswith("x-") or key in _DATA_KEYS:
                continue
            if key == "schema" and isinstance(value, dict | bool):
                yield from _in_schema(value, (*at, key))
            else:
                yield from _in_objects(value, (*at, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _in_objects(value, (*at, index))


def _in_schema(node: Any, at: Tokens) -> Iterator[tuple[Tokens, Any]]:
    if not isinstance(node, dict | bool):
        return
    yield at, node
    if isinstance(node, bool):
        return
    for key in SINGLE_SUBSCHEMA:
        if key in node:
            value = node[key]
            if isinstance(value, list):  # draft 4 tuple form of items
                for index, item in enumerate(value):
                    yield from _in_schema(item, (*at, key, index))
            else:
                yield from _in_schema(value, (*at, key))
    for key in LIST_SUBSCHEMAS:
        if isinstance(node.get(key), list):
            for index, item in enumerate(node[key]):
                yield from _in_schema(item, (*at, key, index))
    for key in MAP_SUBSCHEMAS:
        if isinstance(node.get(key), dict):
            for name, item in node[key].items():
                yield from _in_schema(item, (*at, key, name))


def normalise_nullable(document: Document) -> list[Tokens]:
    """Rewrite ``nullable`` in a 3.1 document's schemas as 2020-12 says it (in place).

    ``{type: string, nullable: true}`` becomes ``{type: [string, "null"]}`` (and ``null`` joins
    an ``enum``); ``nullable: false`` or ``nullable`` without ``type`` (which meant nothing in
    3.0 either) is dropped. Returns the pointers of the schemas it changed.
    """
    changed: list[Tokens] = []
    for at, schema in list(iter_schemas(document)):
        if not isinstance(schema, dict) or "nullable" not in schema:
            continue
        nullable = schema.pop("nullable")
        changed.append(at)
        kind = schema.get("type")
        if nullable is not True or kind is None:
            continue
        kinds = list(kind) if isinstance(kind, list) else [kind]
        if "null" not in kinds:
            schema["type"] = [*kinds, "null"]
        enum = schema.get("enum")
        if isinstance(enum, list) and None not in enum:
            schema["enum"] = [*enum, None]
    return changed


def local_ref_target(ref: str) -> tuple[str, str] | None:
    """``("schemas", "Name")`` for ``#/components/schemas/Name/...``; ``None`` otherwise."""
    if not ref.startswith("#/components/"):
        return None
    parts = ref[len("#/components/") :].split("/")
    if len(parts) < 2:
        return None
    return parts[0], parts[1].replace("~1", "/").replace("~0", "~")


def iter_refs(node: Any) -> Iterator[str]:
    """Every ``$ref`` string anywhere under ``node``."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                yield ref
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def standalone_schema(document: Document, schema: Any, **extra: Any) -> dict[str, Any]:
    """``schema`` (from ``document``) as a self-contained JSON Schema 2020-12 document.

    ``$schema`` names the dialect (validators pick their draft from it) and ``components``
    carries every component the schema reaches, so ``#/components/...`` references resolve as
    they do in the OpenAPI document. The components are shared, not copied. ``extra`` keys
    are added at the root (e.g. ``nullable`` for Connexion's null check of a parameter).
    """
    if schema is True or not isinstance(schema, dict):
        schema = {} if schema is True or not isinstance(schema, bool) else {"not": {}}
    components = document.get("components") or {}
    reached: dict[str, dict[str, Any]] = {}
    pending = list(iter_refs(schema))
    while pending:
        target = local_ref_target(pending.pop())
        if target is None:
            continue
        kind, name = target
        if name in reached.get(kind, {}):
            continue
        entry = (components.get(kind) or {}).get(name)
        if entry is None:
            continue
        reached.setdefault(kind, {})[name] = entry
        pending.extend(iter_refs(entry))
    result: dict[str, Any] = {"$schema": JSON_SCHEMA_2020_12, **schema, **extra}
    if reached:
        result["components"] = reached
    return result


__all__ = [
    "JSON_SCHEMA_2020_12",
    "OAS31_DIALECT",
    "describe_version",
    "is_oas31",
    "iter_schemas",
    "normalise_nullable",
    "oas_version",
    "standalone_schema",
    "webhooks_key",
]
