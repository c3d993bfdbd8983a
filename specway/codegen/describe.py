"""Words for schemas in reference docs: type labels, constraint notes and code literals."""

from __future__ import annotations

import json
import re
from typing import Any

from specway.codegen.ir import Schema
from specway.codegen.naming import model_name

_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def type_label(schema: Schema | None) -> str:
    """``string (date-time)``, ``array of Project``, ``Project | null``, ``map of string``."""
    if schema is None:
        return "—"
    label = _bare_label(schema)
    return f"{label} | null" if schema.nullable else label


def _bare_label(s: Schema) -> str:
    if s.kind == "ref" and s.ref:
        return model_name(s.ref)
    if s.kind == "array":
        inner = type_label(s.items) if s.items and s.items.kind != "any" else "any"
        return f"array of {inner}"
    if s.kind == "object":
        if not s.properties and isinstance(s.additional_properties, Schema):
            return f"map of {type_label(s.additional_properties)}"
        return "object"
    if s.kind in ("one_of", "any_of"):
        return " | ".join(type_label(v) for v in s.variants) or "any"
    if s.kind == "all_of":
        labels = [type_label(v) for v in s.variants]
        if s.properties:
            labels.append("object")
        return " & ".join(labels) or "object"
    if s.format and s.kind in ("string", "integer", "number"):
        return f"{s.kind} ({s.format})"
    return s.kind


def constraint_notes(schema: Schema) -> list[str]:
    """Human notes on enums, defaults, bounds and patterns, in a stable order."""
    c = schema.constraints
    notes: list[str] = []
    if schema.enum:
        notes.append("one of " + ", ".join(f"`{_scalar(v)}`" for v in schema.enum))
    if c.min_length is not None or c.max_length is not None:
        notes.append(_range(c.min_length, c.max_length, "characters"))
    if c.minimum is not None or c.maximum is not None:
        low = f"> {_num(c.minimum)}" if c.exclusive_minimum else f"≥ {_num(c.minimum)}"
        high = f"< {_num(c.maximum)}" if c.exclusive_maximum else f"≤ {_num(c.maximum)}"
        parts = ([low] if c.minimum is not None else []) + ([high] if c.maximum is not None else [])
        notes.append(", ".join(parts))
    if c.multiple_of is not None:
        notes.append(f"multiple of {_num(c.multiple_of)}")
    if c.min_items is not None or c.max_items is not None:
        notes.append(_range(c.min_items, c.max_items, "items"))
    if c.unique_items:
        notes.append("unique items")
    if c.pattern:
        notes.append(f"pattern `{c.pattern}`")
    if schema.has_default:
        notes.append(f"default `{_scalar(schema.default)}`")
    if schema.read_only:
        notes.append("read-only")
    if schema.write_only:
        notes.append("write-only")
    if schema.deprecated:
        notes.append("deprecated")
    return notes


def _range(low: int | None, high: int | None, units: str) -> str:
    unit = (
        units.removesuffix("s")
        if (high if low is None else low) == 1 and (low is None or high is None or low == high)
        else units
    )
    if low is not None and high is not None:
        return f"{low}\N{EN DASH}{high} {unit}" if low != high else f"exactly {low} {unit}"
    if low is not None:
        return f"at least {low} {unit}"
    return f"at most {high} {unit}"


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def json_text(value: Any) -> str:
    """Pretty JSON as the docs show it (two spaces, keys in spec order, non-ASCII kept)."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def py_literal(value: Any, indent: int = 0) -> str:
    """``value`` as Python source, one line when short, else one item per line."""
    flat = _py_flat(value)
    if len(flat) + indent <= 72 or not isinstance(value, dict | list) or not value:
        return flat
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k)}: {py_literal(v, indent + 4)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{pad}{py_literal(v, indent + 4)}," for v in value]
    return "[\n" + "\n".join(items) + "\n" + " " * indent + "]"


def _py_flat(value: Any) -> str:
    if value is None:
        return "None"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_py_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_py_flat(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def ts_literal(value: Any, indent: int = 0) -> str:
    """``value`` as a TypeScript expression; identifier keys unquoted, two-space indents."""
    if isinstance(value, dict) and value:
        pad = " " * (indent + 2)
        items = [f"{pad}{_ts_key(k)}: {ts_literal(v, indent + 2)}," for k, v in value.items()]
        flat = "{ " + ", ".join(i.strip().rstrip(",") for i in items) + " }"
        if len(flat) + indent <= 72 and "\n" not in flat:
            return flat
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list) and value:
        parts = [ts_literal(v, indent + 2) for v in value]
        flat = "[" + ", ".join(parts) + "]"
        if len(flat) + indent <= 72 and "\n" not in flat:
            return flat
        pad = " " * (indent + 2)
        return "[\n" + "\n".join(f"{pad}{p}," for p in parts) + "\n" + " " * indent + "]"
    return json.dumps(value, ensure_ascii=False)


def _ts_key(key: str) -> str:
    return key if _IDENT.match(key) else json.dumps(key)
