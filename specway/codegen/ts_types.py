"""IR schemas as TypeScript types, exactly: required vs optional (``?``) vs nullable (``| null``).

``oneOf`` with a discriminator becomes a discriminated union (each variant intersected with its
literal tag, so ``switch (shape.kind)`` narrows); ``anyOf`` a union; ``allOf`` an intersection.
Property names stay the wire names (quoted where they are not identifiers), so the SDK never
renames anything at run time.
"""

from __future__ import annotations

import json
import re

from specway.codegen.ir import Schema
from specway.codegen.naming import model_name

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_SCALARS = {"integer": "number", "number": "number", "boolean": "boolean", "any": "unknown"}


def property_key(name: str) -> str:
    """A property name as a TypeScript key: bare when it is an identifier, else quoted."""
    return name if _IDENTIFIER.match(name) else json.dumps(name)


def doc_comment(text: str, indent: str = "") -> str:
    """A JSDoc block for ``text`` (empty string when there is nothing to say)."""
    lines = [line.rstrip() for line in text.strip().replace("*/", "*\\/").splitlines()]
    if not lines:
        return ""
    if len(lines) == 1:
        return f"{indent}/** {lines[0]} */\n"
    body = "".join(f"{indent} *{' ' + line if line else ''}\n" for line in lines)
    return f"{indent}/**\n{body}{indent} */\n"


def group(text: str) -> str:
    """Parenthesise a union or intersection so it can be nested safely."""
    depth = 0
    for ch in text:
        if ch in "({[<":
            depth += 1
        elif ch in ")}]>":
            depth -= 1
        elif ch in "|&" and depth == 0:
            return f"({text})"
    return text


def _literal(value: object) -> str:
    if value is None:
        return "null"
    return json.dumps(value, ensure_ascii=False)


class TypeRenderer:
    """Renders schemas as one type for both directions.

    A ``writeOnly`` property is optional (responses leave it out); request types built from a
    model omit its ``readOnly`` properties (see :func:`read_only_names`).
    """

    def type(self, schema: Schema, indent: str = "") -> str:
        """The TypeScript type of ``schema`` (``| null`` when null validates)."""
        text = self._base(schema, indent)
        if schema.accepts_null and text not in ("unknown", "null"):
            return f"{group(text)} | null"
        return text

    def _base(self, schema: Schema, indent: str) -> str:
        if schema.enum is not None and schema.kind not in ("object", "array"):
            values = [v for v in schema.enum if v is not None]
            return " | ".join(_literal(v) for v in values) or "never"
        kind = schema.kind
        if kind == "ref" and schema.ref:
            return model_name(schema.ref)
        if kind == "string":
            return "Blob" if schema.format == "binary" else "string"
        if kind in _SCALARS:
            return _SCALARS[kind]
        if kind == "array":
            item = self.type(schema.items, indent) if schema.items else "unknown"
            return f"Array<{item}>"
        if kind == "object":
            return self.object(schema, indent)
        if kind == "one_of":
            return self._one_of(schema, indent)
        if kind == "any_of":
            parts = [group(self.type(v, indent)) for v in schema.variants]
            return " | ".join(parts) or "unknown"
        # all_of: every part, plus properties written next to the allOf
        parts = [group(self.type(v, indent)) for v in schema.variants]
        if schema.properties:
            parts.append(self.object(schema, indent))
        return " & ".join(parts) or "unknown"

    def _one_of(self, schema: Schema, indent: str) -> str:
        disc = schema.discriminator
        parts = []
        for variant in schema.variants:
            text = group(self.type(variant, indent))
            if disc is not None and variant.kind == "ref" and variant.ref:
                tags = [k for k, target in disc.mapping if target.rsplit("/", 1)[-1] == variant.ref]
                tag = " | ".join(_literal(t) for t in tags or [variant.ref])
                text = f"({text} & {{ {property_key(disc.property_name)}: {tag} }})"
            parts.append(text)
        return " | ".join(parts) or "unknown"

    def members(self, schema: Schema, indent: str) -> str:
        """The ``key?: type;`` lines of an object body (each ends with a newline)."""
        lines = []
        for prop in schema.properties:
            doc = doc_comment(prop.schema.description, indent)
            optional = "" if prop.required and not prop.schema.write_only else "?"
            value = self.type(prop.schema, indent)
            lines.append(f"{doc}{indent}{property_key(prop.name)}{optional}: {value};\n")
        return "".join(lines)

    def object(self, schema: Schema, indent: str) -> str:
        """An inline object type; ``additionalProperties`` with a schema becomes a Record."""
        extra = schema.additional_properties
        record = f"Record<string, {self.type(extra, indent)}>" if isinstance(extra, Schema) else ""
        if not schema.properties:
            return record or "Record<string, unknown>"
        inner = indent + "  "
        text = "{\n" + self.members(schema, inner) + indent + "}"
        return f"{text} & {record}" if record else text
