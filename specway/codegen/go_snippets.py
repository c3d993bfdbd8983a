"""Go SDK snippets for the reference: one call per operation, in the Go SDK's own types.

The values are the docs' examples (path parameters, required query parameters, the request
body's example) written as Go literals of the SDK's structs, enums and pointer helpers. A value
Go cannot spell without ceremony (a date-time, a union, an optional enum) is left out of the
literal rather than written wrong.
"""

from __future__ import annotations

import json
from typing import Any

from specway.codegen.go_services import GoSdkPlanner
from specway.codegen.go_types import GoTypes, align, go_local, go_string
from specway.codegen.ir import Operation

_HELPERS = {"string": "String", "int64": "Int", "float64": "Float", "bool": "Bool"}
_WIDTH = 90


class GoSnippets:
    """Snippets for every operation of one IR (the planner names the Go types once)."""

    def __init__(self, planner: GoSdkPlanner, package: str, env_var: str) -> None:
        self.planner = planner
        self.types: GoTypes = planner.types
        self.package = package
        self.env_var = env_var

    def snippet(self, op: Operation) -> str:
        signature = self.planner.signatures.get(op.operation_id)
        if signature is None:
            return "// not in the Go SDK"
        method, body_type, params_type, fields = signature
        args = [] if op.streams else ["ctx"]
        for param in op.path_parameters:
            kind = "int64" if param.schema.kind == "integer" else "string"
            args.append(self.literal(param.example, kind) or go_string(str(param.example)))
        if body_type is not None and op.body is not None:
            args.append(
                self.literal(op.body.example, body_type) or f"{self.qualify(body_type)}{{}}"
            )
        if params_type is not None:
            required = [
                (p, fields[p.name]) for p in op.parameters if p.required and p.name in fields
            ]
            if required:
                parts = [
                    f"{name}: {self.literal(p.example, self._field_type(params_type, name))}"
                    for p, name in required
                ]
                args.append(f"{self.qualify(params_type)}{{{', '.join(parts)}}}")
            else:
                args.append("nil")
        service = self.planner.service_fields.get(op.operation_id, "")
        call = f"client.{service}.{method}({', '.join(args)})"
        paged = op.operation_id in self.planner.paged
        returns = self._returns(op)
        lines = [
            "ctx := context.Background()",
            f'client := {self.package}.NewClient("") // "": the API key from ${self.env_var}',
        ]
        if op.streams:
            lines += [f"stream, err := {call}", "if err != nil {", "\tlog.Fatal(err)", "}"]
            lines += ["defer stream.Close()", "for stream.Next(ctx) {"]
            lines += ["\tfmt.Println(stream.Event())", "}"]
            lines += ["if err := stream.Err(); err != nil {", "\tlog.Fatal(err)", "}"]
        elif returns is None:
            lines += [f"if err := {call}; err != nil {{", "\tlog.Fatal(err)", "}"]
        else:
            lines += [f"{returns}, err := {call}", "if err != nil {", "\tlog.Fatal(err)", "}"]
            if paged:
                lines += [
                    "// this page and every page after it, fetched as the iterator reaches them",
                    "for it := page.Iter(ctx); it.Next(); {",
                    "\tfmt.Println(it.Current())",
                    "}",
                ]
            else:
                lines.append(f"fmt.Println({returns})")
        return "\n".join(lines)

    def _returns(self, op: Operation) -> str | None:
        success = op.success
        if success is None or success.schema is None:
            return None
        if op.operation_id in self.planner.paged:
            return "page"
        if success.schema.kind == "ref" and success.schema.ref:
            return go_local(success.schema.ref)
        return "result"

    def _field_type(self, struct: str, field_name: str) -> str:
        plan = self.types.structs.get(struct)
        for f in plan.fields if plan else ():
            if f.name == field_name:
                return f.type
        return "interface{}"

    def qualify(self, go_type: str) -> str:
        """``[]Project`` → ``[]specway.Project``: the SDK's types with their package."""
        for prefix in ("*", "[]", "map[string]"):
            if go_type.startswith(prefix):
                return prefix + self.qualify(go_type[len(prefix) :])
        generated = (
            go_type in self.types.structs
            or go_type in self.types.enums
            or go_type in self.types.unions
            or go_type in self.types.aliases
        )
        return f"{self.package}.{go_type}" if generated else go_type

    def literal(self, value: Any, go_type: str, elide: bool = False) -> str | None:
        """``value`` as a Go expression of ``go_type``, or ``None`` when it is left out;
        ``elide`` drops a struct's type name (an element of a slice or map literal)."""
        if go_type.startswith("*"):
            inner = go_type[1:]
            if inner in _HELPERS:
                text = self.literal(value, inner)
                return None if text is None else f"{self.package}.{_HELPERS[inner]}({text})"
            if inner in self.types.structs:
                text = self.literal(value, inner)
                return None if text is None else "&" + text
            return None
        if go_type in self.types.aliases:
            return self.literal(value, self.types.aliases[go_type].type)
        if go_type == "string":
            return go_string(value) if isinstance(value, str) else None
        if go_type in ("int64", "float64"):
            number = isinstance(value, int | float) and not isinstance(value, bool)
            return json.dumps(value) if number else None
        if go_type == "bool":
            return ("true" if value else "false") if isinstance(value, bool) else None
        if go_type in self.types.enums:
            for const, text in self.types.enums[go_type].constants:
                if text == go_string(str(value)):
                    return f"{self.package}.{const}"
            return None
        if go_type.startswith("[]") and isinstance(value, list):
            item = go_type[2:]
            parts = [self.literal(v, item, elide=True) for v in value]
            if any(p is None for p in parts):
                return None
            return _composite(self.qualify(go_type), [[p] for p in parts if p])
        if go_type.startswith("map[string]") and isinstance(value, dict):
            item = go_type[len("map[string]") :]
            pairs = [(k, self.literal(v, item, elide=True)) for k, v in value.items()]
            if any(p is None for _, p in pairs):
                return None
            return _composite(
                self.qualify(go_type), [[f"{go_string(k)}:", p or ""] for k, p in pairs]
            )
        if go_type in self.types.structs and isinstance(value, dict):
            return self._struct(go_type, value, elide)
        return None

    def _struct(self, name: str, value: dict[str, Any], elide: bool) -> str:
        fields = {f.wire: f for f in self.types.structs[name].fields}
        parts = []
        for key, item in value.items():
            f = fields.get(key)
            text = None if f is None else self.literal(item, f.type)
            if f is not None and text is not None:
                parts.append([f"{f.name}:", text])
        return _composite("" if elide else self.qualify(name), parts)


def _composite(type_name: str, parts: list[list[str]]) -> str:
    """A composite literal: on one line when short, else one element a line, gofmt-aligned."""
    one_line = f"{type_name}{{{', '.join(' '.join(p) for p in parts)}}}"
    if len(one_line) <= _WIDTH or not parts:
        return one_line
    rows: list[str | list[str]] = []
    for p in parts:
        if len(p) == 1:
            rows.append("\t" + p[0] + ",")
        elif "\n" in p[1]:  # gofmt aligns no entry that spans lines
            rows.append("\t" + p[0] + " " + p[1].replace("\n", "\n\t") + ",")
        else:
            rows.append(["\t" + p[0], p[1] + ","])
    return f"{type_name}{{\n" + "\n".join(align(rows)) + "\n}"
