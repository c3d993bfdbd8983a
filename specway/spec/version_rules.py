"""Lint rules about the OpenAPI version a document says it is.

- In a 3.1 document: the 3.0-only constructs (``nullable``, ``x-webhooks``) with their 3.1 form,
  and the JSON Schema 2020-12 features specway cannot honour yet, each an error naming the
  pointer and the feature (never silently ignored at validation time).
- In a 3.0 document: the 3.1-only constructs (type arrays, ``const``, ``prefixItems``,
  ``$defs``, ``examples`` lists, ``unevaluatedProperties``, ``$ref`` with siblings, top-level
  ``webhooks``...), each with the 3.0 way to say it or the advice to move to 3.1.
"""

from __future__ import annotations

from typing import Any

from specway.spec.dialect import (
    SUPPORTED_DIALECTS,
    Document,
    Tokens,
    is_oas31,
    iter_schemas,
    oas_version,
)
from specway.spec.problems import Level, Problem, pointer

# 2020-12 keywords specway does not honour, with the reason given to the author.
UNSUPPORTED_2020_12 = {
    "$dynamicRef": "dynamic references are not resolved by specway's bundler and code generators",
    "$dynamicAnchor": "dynamic references are not resolved by specway's bundler and code "
    "generators",
    "$recursiveRef": "draft 2019-09 recursive references are not part of 2020-12",
    "$recursiveAnchor": "draft 2019-09 recursive references are not part of 2020-12",
    "$id": "a schema $id changes the base URI; specway resolves every $ref against the document",
    "$vocabulary": "custom vocabularies are not supported",
}
# 3.1-only schema keywords seen in a 3.0 document, with the 3.0 way to say it.
ONLY_IN_31 = {
    "const": "use enum: [<value>]",
    "prefixItems": "use items (3.0 has no tuples), or move to openapi: 3.1.0",
    "$defs": "move the schema to components/schemas and $ref it",
    "unevaluatedProperties": "use additionalProperties: false on a schema listing every "
    "property, or move to openapi: 3.1.0",
    "unevaluatedItems": "move to openapi: 3.1.0",
    "dependentRequired": "move to openapi: 3.1.0",
    "dependentSchemas": "move to openapi: 3.1.0",
    "if": "use oneOf/anyOf, or move to openapi: 3.1.0",
    "contains": "move to openapi: 3.1.0",
    "patternProperties": "use additionalProperties, or move to openapi: 3.1.0",
    "propertyNames": "move to openapi: 3.1.0",
}
_PARAMETER_KINDS = ("parameters", "headers")
# 2020-12 keywords the 3.0 view leaves out: a form body (checked through that view) would
# silently ignore them.
DROPPED_BY_VIEW = (
    "prefixItems",
    "unevaluatedProperties",
    "unevaluatedItems",
    "dependentRequired",
    "dependentSchemas",
    "if",
    "contains",
    "patternProperties",
    "propertyNames",
)


def version_rules(document: Document, authored: Document | None = None) -> list[Problem]:
    """The version rules for ``document`` (3.0 or 3.1; other versions are schema errors).

    ``authored`` is the root file as written, when ``document`` was loaded from one: the
    loader rewrites ``nullable`` in a 3.1 document (parts written for 3.0 carry it), so the
    author's own ``nullable`` is looked for there.
    """
    if is_oas31(document):
        return _rules_31(document) + _nullable_rules(authored or document)
    if oas_version(document) == "3.0":
        return _rules_30(document)
    return []


def _rules_31(document: Document) -> list[Problem]:
    problems: list[Problem] = []
    if "x-webhooks" in document:
        problems.append(
            Problem(
                "/x-webhooks",
                "x-webhooks is the OpenAPI 3.0 convention; a 3.1 document declares its event "
                "catalogue under webhooks",
                "rename x-webhooks to webhooks",
                Level.WARNING,
            )
        )
    dialect = document.get("jsonSchemaDialect")
    if dialect is not None and str(dialect) not in SUPPORTED_DIALECTS:
        problems.append(
            Problem(
                "/jsonSchemaDialect",
                f"JSON Schema dialect {dialect!r} is not supported",
                "leave jsonSchemaDialect out (OpenAPI 3.1's default: JSON Schema 2020-12)",
            )
        )
    problems += _form_body_rules(document)
    for at, schema in iter_schemas(document):
        if not isinstance(schema, dict):
            continue
        for keyword, reason in UNSUPPORTED_2020_12.items():
            if keyword in schema:
                problems.append(
                    Problem(
                        pointer(*at, keyword),
                        f"JSON Schema 2020-12 feature {keyword} is not supported: {reason}",
                        "remove it (reference components/schemas by $ref instead)",
                    )
                )
        declared = schema.get("$schema")
        if declared is not None and str(declared) not in SUPPORTED_DIALECTS:
            problems.append(
                Problem(
                    pointer(*at, "$schema"),
                    f"JSON Schema 2020-12 feature $schema: schemas in dialect {declared!r} "
                    "are not supported",
                    "remove $schema (the document's schemas are JSON Schema 2020-12)",
                )
            )
        ref = schema.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            problems.append(
                Problem(
                    pointer(*at, "$ref"),
                    f"JSON Schema 2020-12 feature: a $ref to another resource ({ref!r}) is not "
                    "resolved at validation time",
                    "point it at a file next to the spec (bundled at load) or at #/components",
                )
            )
        if _in_parameter(at) and "prefixItems" in schema:
            problems.append(
                Problem(
                    pointer(*at, "prefixItems"),
                    "JSON Schema 2020-12 feature prefixItems is not supported in a parameter: "
                    "specway converts each item of an array parameter by its items schema",
                    "use items: {...} (one schema for every item)",
                )
            )
    return problems


def _form_body_rules(document: Document) -> list[Problem]:
    """Form bodies (urlencoded, multipart) are parsed and checked through the 3.0 view: the
    2020-12 keywords it leaves out would be ignored there, so each is an error."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for at, schema in iter_schemas(document):
        media = at[-2] if len(at) >= 2 and at[-1] == "schema" else None
        if "requestBody" not in at or not isinstance(media, str) or "json" in media:
            continue
        stack: list[tuple[Tokens, Any]] = [(at, schema)]
        while stack:
            where, node = stack.pop()
            if not isinstance(node, dict):
                continue
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#") and ref not in seen:
                seen.add(ref)
                stack.append((tuple(_tokens(ref)), _pointer_target(document, ref)))
            for keyword in DROPPED_BY_VIEW:
                if keyword in node:
                    problems.append(
                        Problem(
                            pointer(*where, keyword),
                            f"JSON Schema 2020-12 feature {keyword} is not supported in a "
                            f"{media} body: specway checks form bodies by their OpenAPI 3.0 "
                            "reading, which has no such keyword",
                            "check it in the handler, or send the body as application/json",
                        )
                    )
            for key, value in node.items():
                if key in ("enum", "const", "default", "example", "examples"):
                    continue
                if isinstance(value, dict):
                    stack.append(((*where, key), value))
                elif isinstance(value, list):
                    stack.extend(((*where, key, i), v) for i, v in enumerate(value))
    return problems


def _tokens(ref: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in ref[2:].split("/") if t]


def _pointer_target(document: Document, ref: str) -> Any:
    node: Any = document
    for token in _tokens(ref):
        if not isinstance(node, dict) or token not in node:
            return None
        node = node[token]
    return node


def _nullable_rules(document: Document) -> list[Problem]:
    problems: list[Problem] = []
    for at, schema in iter_schemas(document):
        if isinstance(schema, dict) and "nullable" in schema:
            kind = schema.get("type")
            fix = (
                f"write type: [{kind}, 'null']"
                if isinstance(kind, str)
                else "add 'null' to type (type: [<type>, 'null'])"
            )
            problems.append(
                Problem(
                    pointer(*at, "nullable"),
                    "nullable is OpenAPI 3.0; JSON Schema 2020-12 ignores it (specway reads it "
                    "as a type array, other tools do not)",
                    fix,
                    Level.WARNING,
                )
            )
    return problems


def _in_parameter(at: Tokens) -> bool:
    """Whether the schema at ``at`` belongs to a parameter or a header (not a body)."""
    return any(token in _PARAMETER_KINDS for token in at) and "content" not in at


def _rules_30(document: Document) -> list[Problem]:
    problems: list[Problem] = []
    if "webhooks" in document:
        problems.append(
            Problem(
                "/webhooks",
                "webhooks is an OpenAPI 3.1 field; a 3.0 document declares events under x-webhooks",
                "rename webhooks to x-webhooks, or move to openapi: 3.1.0",
            )
        )
    for at, schema in iter_schemas(document):
        if isinstance(schema, bool):
            if at[-1] == "additionalProperties":  # the one place 3.0 takes a boolean
                continue
            problems.append(
                Problem(
                    pointer(*at),
                    "a boolean schema is JSON Schema 2020-12 (OpenAPI 3.1)",
                    "use {} for true, or move to openapi: 3.1.0",
                )
            )
            continue
        problems += _schema_rules_30(at, schema)
    return problems


def _schema_rules_30(at: Tokens, schema: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    kind = schema.get("type")
    if isinstance(kind, list):
        others = [k for k in kind if k != "null"]
        fix = (
            f"write type: {others[0]} with nullable: true"
            if len(others) == 1 and "null" in kind
            else "use anyOf of single types, or move to openapi: 3.1.0"
        )
        problems.append(
            Problem(pointer(*at, "type"), "a type array is OpenAPI 3.1 (JSON Schema 2020-12)", fix)
        )
    elif kind == "null":
        problems.append(
            Problem(
                pointer(*at, "type"),
                "type: 'null' is OpenAPI 3.1",
                "use nullable: true on the schema that may be null",
            )
        )
    for keyword, fix in ONLY_IN_31.items():
        if keyword in schema:
            problems.append(
                Problem(
                    pointer(*at, keyword), f"{keyword} is OpenAPI 3.1 (JSON Schema 2020-12)", fix
                )
            )
    if isinstance(schema.get("examples"), list):
        problems.append(
            Problem(
                pointer(*at, "examples"),
                "a list of examples in a schema is OpenAPI 3.1",
                "use example: <one value>",
            )
        )
    for keyword in ("exclusiveMinimum", "exclusiveMaximum"):
        value = schema.get(keyword)
        if isinstance(value, int | float) and not isinstance(value, bool):
            bound = "minimum" if keyword == "exclusiveMinimum" else "maximum"
            problems.append(
                Problem(
                    pointer(*at, keyword),
                    f"a numeric {keyword} is OpenAPI 3.1",
                    f"write {bound}: {value} with {keyword}: true",
                )
            )
    if isinstance(schema.get("$ref"), str):
        siblings = sorted(k for k in schema if k != "$ref" and not k.startswith("x-"))
        if siblings:
            problems.append(
                Problem(
                    pointer(*at),
                    f"$ref with siblings ({', '.join(siblings)}) is OpenAPI 3.1; 3.0 ignores them",
                    "wrap them: allOf: [{$ref: ...}, {<the siblings>}]",
                )
            )
    return problems


__all__ = ["ONLY_IN_31", "UNSUPPORTED_2020_12", "version_rules"]
