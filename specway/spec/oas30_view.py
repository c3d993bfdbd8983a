"""An OpenAPI 3.0 view of an OpenAPI 3.1 document, for readers that know only 3.0.

Connexion 3 loads only 2.0 and 3.0 documents (its issue #1396) and specway's code generators
read 3.0 Schema Objects. Both get this view of a 3.1 document, built once at startup (or per
codegen run); the document itself stays the source of truth: specway validates requests
against its 2020-12 schemas (``specway.validation``) and serves it unchanged.

What the view rewrites, keeping what routing, parameter parsing and typing need:

- ``openapi: 3.0.3``; ``webhooks`` -> ``x-webhooks``; 3.1-only fields (``jsonSchemaDialect``,
  ``info.summary``, ``license.identifier``, ``components.pathItems``) dropped or inlined;
- ``type: [T, "null"]`` -> ``type: T, nullable: true``; several types -> ``anyOf``;
  ``type: "null"`` -> ``nullable: true, enum: [null]``;
- ``anyOf``/``oneOf`` with a ``{type: "null"}`` alternative -> the others + ``nullable`` (one
  left: ``allOf: [it]``), marked ``x-specway-nullable`` for codegen;
- ``const: v`` -> ``enum: [v]``; ``examples: [a, ...]`` -> ``example: a``;
- numeric ``exclusiveMinimum``/``exclusiveMaximum`` -> ``minimum``/``maximum`` + ``true``;
- ``$ref`` with siblings that shape it (``properties``, ``type``...) -> ``allOf: [{$ref},
  {siblings}]``; annotations and constraints beside a ``$ref`` are dropped;
- ``$defs`` -> ``x-specway-defs`` (references into them follow); boolean schemas -> ``{}`` /
  ``{not: {}}``; other 2020-12 keywords (``prefixItems``, ``unevaluatedProperties``...) are left
  out: the view is for routing and typing, the document's schemas are what validates.
"""

from __future__ import annotations

import copy
from typing import Any

from specway.spec.dialect import (
    LIST_SUBSCHEMAS,
    MAP_SUBSCHEMAS,
    SINGLE_SUBSCHEMA,
    Document,
    oas_version,
)
from specway.spec.methods import HTTP_METHODS

OAS30_VERSION = "3.0.3"
_SCHEMA_30 = frozenset(
    {
        "title",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxProperties",
        "minProperties",
        "required",
        "enum",
        "type",
        "not",
        "allOf",
        "oneOf",
        "anyOf",
        "items",
        "properties",
        "additionalProperties",
        "description",
        "format",
        "default",
        "nullable",
        "discriminator",
        "readOnly",
        "writeOnly",
        "example",
        "externalDocs",
        "deprecated",
        "xml",
        "$ref",
    }
)
# Siblings of a $ref that only annotate: dropped rather than turned into an allOf.
_ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "summary",
        "example",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "default",
        "$comment",
        "externalDocs",
        "xml",
    }
)
# Siblings of a $ref that change its shape: the view keeps them beside it in an allOf.
_STRUCTURAL = frozenset(
    {"type", "properties", "items", "prefixItems", "required", "additionalProperties"}
    | {"allOf", "anyOf", "oneOf", "unevaluatedProperties", "patternProperties"}
)
_DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const", "value"})
_DEFS = "x-specway-defs"
# On a schema whose null comes from a {type: "null"} alternative (read by codegen's IR).
NULLABLE_MARK = "x-specway-nullable"
_NULL_ONLY = {"nullable": True, "enum": [None]}


def as_openapi30(document: Document, *, for_connexion: bool = False) -> Document:
    """A new document: the OpenAPI 3.0.3 view of the 3.1 ``document`` (left untouched).

    ``for_connexion`` also copies path-level parameters into each operation (see
    :func:`_push_down_parameters`); code generators keep them where the author put them.
    """
    view: Document = copy.deepcopy(document)
    view["openapi"] = OAS30_VERSION
    view.pop("jsonSchemaDialect", None)
    info = view.get("info")
    if isinstance(info, dict):
        info.pop("summary", None)
        license_ = info.get("license")
        if isinstance(license_, dict):
            license_.pop("identifier", None)
    if "webhooks" in view:
        view.setdefault("x-webhooks", view.pop("webhooks"))
    components = view.get("components")
    path_items: dict[str, Any] = {}
    if isinstance(components, dict):
        path_items = components.pop("pathItems", None) or {}
    paths = view.setdefault("paths", {})
    for path, item in list(paths.items()):
        paths[path] = _path_item(item, path_items)
    for key, value in list(view.items()):
        if key.startswith("x-"):
            if key == "x-webhooks" and isinstance(value, dict):
                view[key] = {
                    name: _objects(_path_item(item, path_items)) for name, item in value.items()
                }
            continue
        if key != "components":
            view[key] = _objects(value)
    if isinstance(components, dict):
        for kind, entries in components.items():
            if not isinstance(entries, dict) or kind.startswith("x-"):
                continue
            components[kind] = {
                name: _schema(entry) if kind == "schemas" else _objects(entry)
                for name, entry in entries.items()
            }
    for item in view["paths"].values():
        if isinstance(item, dict) and for_connexion:
            _push_down_parameters(item)
        for operation in item.values() if isinstance(item, dict) else ():
            if isinstance(operation, dict) and "operationId" in operation:
                operation.setdefault("responses", {"default": {"description": "Any response."}})
    return view


def _push_down_parameters(item: dict[str, Any]) -> None:
    """Path-level parameters copied into each operation (the operation's own win).

    Connexion 3.3 appends the path's parameters to the operation's own list in place, once per
    middleware that reads the operation, so each would be checked (and reported) several times.
    """
    shared = item.pop("parameters", None)
    if not isinstance(shared, list) or not shared:
        return
    for method in HTTP_METHODS:
        operation = item.get(method)
        if not isinstance(operation, dict):
            continue
        own = operation.get("parameters") or []
        names = {(p.get("in"), p.get("name")) for p in own if isinstance(p, dict)}
        inherited = [
            p
            for p in shared
            if not isinstance(p, dict) or (p.get("in"), p.get("name")) not in names
        ]
        operation["parameters"] = [*own, *copy.deepcopy(inherited)]


def connexion_document(document: Document) -> Document:
    """The document Connexion is given: a 3.1 document's 3.0 view; a 3.0 document itself, with
    path-level parameters copied into its operations (a copy, when there are any)."""
    if oas_version(document) == "3.1":
        return as_openapi30(document, for_connexion=True)
    paths = document.get("paths")
    if not isinstance(paths, dict) or not any(
        isinstance(item, dict) and item.get("parameters") for item in paths.values()
    ):
        return document
    copied: Document = copy.deepcopy(document)
    for item in copied["paths"].values():
        if isinstance(item, dict):
            _push_down_parameters(item)
    return copied


def _path_item(item: Any, path_items: dict[str, Any]) -> Any:
    """A path item with a ``$ref`` to ``components/pathItems`` inlined (3.0 has none)."""
    if isinstance(item, dict) and isinstance(item.get("$ref"), str):
        ref = item["$ref"]
        prefix = "#/components/pathItems/"
        if ref.startswith(prefix):
            name = ref[len(prefix) :].replace("~1", "/").replace("~0", "~")
            target = path_items.get(name)
            if isinstance(target, dict):
                merged = {k: v for k, v in item.items() if k not in ("$ref", "summary")}
                return {**copy.deepcopy(target), **merged}
    return item


def _objects(node: Any) -> Any:
    """Walk non-schema objects; ``schema`` values are schemas; Reference siblings dropped."""
    if isinstance(node, list):
        return [_objects(value) for value in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("$ref"), str):
        return {"$ref": _ref(node["$ref"])}
    result: dict[str, Any] = {}
    for key, value in node.items():
        if not isinstance(key, str) or key.startswith("x-") or key in _DATA_KEYS:
            result[key] = value
        elif key == "schema" and isinstance(value, dict | bool):
            result[key] = _schema(value)
        else:
            result[key] = _objects(value)
    return result


def _ref(ref: str) -> str:
    return ref.replace("/$defs/", f"/{_DEFS}/")


def _schema(node: Any) -> Any:
    """The OpenAPI 3.0 Schema Object closest to the 2020-12 schema ``node``."""
    if node is True:
        return {}
    if node is False:
        return {"not": {}}
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in SINGLE_SUBSCHEMA and not isinstance(value, list):
            out[key] = _schema(value)
        elif key in LIST_SUBSCHEMAS and isinstance(value, list):
            out[key] = [_schema(v) for v in value]
        elif key in MAP_SUBSCHEMAS and isinstance(value, dict):
            out[key] = {name: _schema(v) for name, v in value.items()}
        else:
            out[key] = value
    return _downgrade(out)


def _downgrade(out: dict[str, Any]) -> dict[str, Any]:
    ref = out.get("$ref")
    if isinstance(ref, str):
        siblings = {
            k: v for k, v in out.items() if k != "$ref" and k not in _ANNOTATIONS and k != "$defs"
        }
        if not siblings.keys() & _STRUCTURAL:
            # Constraints only (maxLength, pattern...): the reference types it; the document's
            # own schema is what validates them.
            return {"$ref": _ref(ref)}
        kept = {k: v for k, v in out.items() if k in _ANNOTATIONS and k in _SCHEMA_30}
        return {"allOf": [{"$ref": _ref(ref)}, _downgrade(siblings)], **kept}
    if "$defs" in out:
        out[_DEFS] = out.pop("$defs")
    kinds = out.get("type")
    if isinstance(kinds, list) or kinds == "null":
        listed = kinds if isinstance(kinds, list) else [kinds]
        others = [k for k in listed if k != "null"]
        del out["type"]
        if "null" in listed:
            out["nullable"] = True
        if len(others) == 1:
            out["type"] = others[0]
        elif not others:
            out.setdefault("enum", [None])
        else:
            alternatives = [{"type": k} for k in others]
            if "anyOf" in out:
                out["allOf"] = [*out.get("allOf", []), {"anyOf": alternatives}]
            else:
                out["anyOf"] = alternatives
    for key in ("anyOf", "oneOf"):
        _nullable_alternative(out, key)
    if "const" in out:
        const = out.pop("const")
        enum = out.get("enum")
        out["enum"] = [v for v in enum if v == const] if isinstance(enum, list) else [const]
        if not out["enum"]:
            out["not"] = {}
            del out["enum"]
    if "type" not in out and isinstance(out.get("enum"), list):
        # A const or enum of one JSON type: say the type too (Connexion's parameter parsing
        # reads it, and SDKs type a literal by it).
        kinds = {_json_type(v) for v in out["enum"] if v is not None}
        if len(kinds) == 1:
            out["type"] = kinds.pop()
    examples = out.pop("examples", None)
    if isinstance(examples, list) and examples and "example" not in out:
        out["example"] = examples[0]
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        value = out.get(exclusive)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[bound] = value
            out[exclusive] = True
    prefix = out.pop("prefixItems", None)
    if isinstance(prefix, list) and prefix:
        # A tuple: the view's items is what any position may hold (2020-12's items, if any,
        # covers the positions after the prefix; false there means none).
        tail = out.get("items")
        kinds = [*prefix, *([tail] if isinstance(tail, dict) and tail != {"not": {}} else [])]
        unique = [k for i, k in enumerate(kinds) if k not in kinds[:i]]
        out["items"] = unique[0] if len(unique) == 1 else {"anyOf": unique}
    if out.get("type") == "array" and "items" not in out:
        out["items"] = {}
    if out.get("required") == []:
        del out["required"]
    return {k: v for k, v in out.items() if k in _SCHEMA_30 or k.startswith("x-")}


def _nullable_alternative(out: dict[str, Any], key: str) -> None:
    """``anyOf``/``oneOf`` with a ``{type: "null"}`` alternative (3.1's nullable reference)
    -> the other alternatives, ``nullable: true`` and ``x-specway-nullable`` (3.0 ties
    ``nullable`` to a sibling ``type``; the marker tells codegen the null is meant)."""
    variants = out.get(key)
    if not isinstance(variants, list):
        return
    kept = [v for v in variants if v != _NULL_ONLY]
    if len(kept) == len(variants) or not kept:
        return
    out["nullable"] = True
    out[NULLABLE_MARK] = True
    if len(kept) == 1 and "discriminator" not in out:
        del out[key]
        out["allOf"] = [*out.get("allOf", []), kept[0]]
    else:
        out[key] = kept


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


__all__ = ["NULLABLE_MARK", "OAS30_VERSION", "as_openapi30", "connexion_document"]
