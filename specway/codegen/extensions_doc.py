"""``docs/extensions.md``: every ``x-specway-*`` key, rendered from its JSON Schema.

The schemas in :mod:`specway.spec.extensions` validate documents and, through their annotations
(``description``, ``default``, ``examples`` and specway's ``x-inheritance``), document them; the
levels a key may stand at come from the same ``DOCUMENT_KEYS`` / ``PATH_KEYS`` /
``OPERATION_KEYS`` the model checks with. So the reference cannot drift from what specway
accepts: ``specway codegen --check`` fails when the committed page differs from this render.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from specway.codegen.parse import CodegenError
from specway.codegen.render import environment, render
from specway.spec import Problem
from specway.spec.extensions import (
    DOCUMENT_KEYS,
    ISO_DURATION,
    OPERATION_KEYS,
    PATH_KEYS,
    SCHEMAS,
)

NO_DEFAULT = "—"
LEVELS = (("document", DOCUMENT_KEYS), ("path item", PATH_KEYS), ("operation", OPERATION_KEYS))


@dataclass(frozen=True, slots=True)
class PropertyDoc:
    """One row of a key's properties table (nested ones dotted: ``sandbox.isolated``)."""

    name: str
    type: str
    default: str
    description: str
    example: str


@dataclass(frozen=True, slots=True)
class ExtensionDoc:
    """One ``x-specway-*`` key as the reference shows it."""

    key: str
    title: str
    type: str
    levels: tuple[str, ...]
    default: str
    inheritance: str
    description: str
    properties: tuple[PropertyDoc, ...]
    example: str


def inline(value: Any) -> str:
    """``value`` as YAML flow text, on one line (``[a, b]``, ``{style: page}``, ``false``)."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6)
    return text.strip().removesuffix("...").strip()


def type_text(schema: Mapping[str, Any]) -> str:
    """A short human reading of a schema's type (``integer ≥ 1``, ``list of string``)."""
    if "const" in schema:
        return f"`{inline(schema['const'])}`"
    if "enum" in schema:
        return " \\| ".join(f"`{inline(v)}`" for v in schema["enum"])
    if "oneOf" in schema:
        return " or ".join(type_text(branch) for branch in schema["oneOf"])
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        return f"list of {type_text(items)}" if isinstance(items, Mapping) else "list"
    if kind == "object":
        values = schema.get("additionalProperties")
        if isinstance(values, Mapping):
            inner = "object" if "properties" in values else type_text(values)
            return f"mapping of name → {inner}"
        return "object"
    if kind == "integer" and "minimum" in schema:
        return f"integer ≥ {schema['minimum']}"
    if kind == "string" and schema.get("pattern") == ISO_DURATION:
        return "ISO 8601 duration"
    if kind == "null":
        return "`null`"
    return str(kind or "any")


def _default(schema: Mapping[str, Any], required: bool = False) -> str:
    if "default" in schema:
        return f"`{inline(schema['default'])}`"
    if required:
        return "required"
    return "per property, below" if "properties" in schema else NO_DEFAULT


def _required(schema: Mapping[str, Any], what: str, name: str) -> Any:
    if name not in schema:
        raise CodegenError(
            [
                Problem(
                    "",
                    f"{what} has no {name!r} annotation",
                    "add it to its schema in specway/spec/extensions.py",
                )
            ]
        )
    return schema[name]


def _objects(schema: Mapping[str, Any], name: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The object schemas whose properties a property's rows continue with, and their names."""
    if "properties" in schema:
        yield name, schema
    values = schema.get("additionalProperties")
    if isinstance(values, Mapping) and "properties" in values:
        yield f"{name}.<name>", values
    for branch in schema.get("oneOf", ()):
        yield from _objects(branch, name)


def _properties(schema: Mapping[str, Any], where: str, prefix: str = "") -> list[PropertyDoc]:
    rows: list[PropertyDoc] = []
    for name, sub in schema.get("properties", {}).items():
        full = f"{prefix}{name}"
        what = f"{where}.{full}"
        examples = _required(sub, what, "examples")
        rows.append(
            PropertyDoc(
                name=full,
                type=type_text(sub),
                default=_default(sub, name in schema.get("required", ())),
                description=_required(sub, what, "description"),
                example=f"`{inline(examples[0])}`",
            )
        )
        for nested_name, nested in _objects(sub, full):
            rows += _properties(nested, where, nested_name + ".")
    return rows


class _Dumper(yaml.SafeDumper):
    """Block YAML with indented lists, and mappings or lists of scalars on one line."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


class _Block(dict[str, Any]):
    """A mapping of the snippet's frame (the document, ``paths``, an operation): block style."""


def _leaf(value: Any) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return not any(isinstance(item, dict | list) for item in items)


_Dumper.add_representer(
    dict, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=_leaf(v))
)
_Dumper.add_representer(
    _Block, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=False)
)
_Dumper.add_representer(
    list, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=_leaf(v))
)


def _example(key: str, value: Any, level: str) -> str:
    """A YAML snippet placing ``key: value`` at ``level`` of a document."""
    fragment = _Block({key: value})
    if level == "path item":
        fragment = _Block(paths=_Block({"/projects": fragment}))
    elif level == "operation":
        fragment = _Block(paths=_Block({"/projects": _Block(post=fragment)}))
    text = yaml.dump(fragment, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=96)
    return text.rstrip("\n")


def extension_docs(schemas: Mapping[str, Mapping[str, Any]] = SCHEMAS) -> list[ExtensionDoc]:
    """One :class:`ExtensionDoc` per key, sorted by key."""
    docs: list[ExtensionDoc] = []
    for key in sorted(schemas):
        schema = schemas[key]
        levels = tuple(level for level, keys in LEVELS if key in keys)
        examples = _required(schema, key, "examples")
        example_level = schema.get("x-example-at", levels[0] if levels else "document")
        docs.append(
            ExtensionDoc(
                key=key,
                title=_required(schema, key, "title"),
                type=type_text(schema),
                levels=levels or ("nowhere",),
                default=_default(schema),
                inheritance=_required(schema, key, "x-inheritance"),
                description=_required(schema, key, "description"),
                properties=tuple(_properties(schema, key)),
                example=_example(key, examples[0], example_level),
            )
        )
    return docs


def render_extensions_doc(templates: Path | None = None) -> str:
    """The text of ``docs/extensions.md``."""
    env = environment("framework", templates)
    return render(env, "extensions.md.j2", extensions=extension_docs())
