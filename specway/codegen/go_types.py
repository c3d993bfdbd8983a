"""Schemas as Go: type expressions and the declarations of ``models.go`` for the Go SDK.

Every component schema becomes a struct (objects, ``allOf`` of objects merged into one), a
string type with constants (string enums), a wrapper with ``As<Variant>`` methods
(``oneOf``/``anyOf``) or an alias (scalars, arrays, maps). Presence and null are kept apart
without generics: a required field is a value, an optional one a pointer with ``omitempty`` (nil
when unset), and a struct with optional nullable fields has ``NullFields`` naming the fields to
send as ``null``. Inline objects and enums get named types of their own (``<Parent><Field>``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from specway.codegen.ir import ApiIR, NamedSchema, Property, Schema
from specway.codegen.schema_index import SchemaIndex
from specway.spec.naming import words

# Go's initialisms, upper-cased in identifiers (``project_id`` → ``ProjectID``).
_INITIALISMS = frozenset(
    {
        "api",
        "id",
        "ids",
        "ip",
        "ips",
        "url",
        "uri",
        "http",
        "https",
        "json",
        "uuid",
        "sql",
        "ttl",
        "html",
    }
)
_SCALARS = {"integer": "int64", "number": "float64", "boolean": "bool", "any": "interface{}"}
_KEYWORDS = frozenset(
    {
        "break",
        "case",
        "chan",
        "const",
        "continue",
        "default",
        "defer",
        "else",
        "fallthrough",
        "for",
        "func",
        "go",
        "goto",
        "if",
        "import",
        "interface",
        "map",
        "package",
        "range",
        "return",
        "select",
        "struct",
        "switch",
        "type",
        "var",
    }
)
NULL_FIELDS = "NullFields"


def _word(word: str) -> str:
    if word in _INITIALISMS:
        return word[:-1].upper() + "s" if word in ("ids", "ips") else word.upper()
    return word.title()


def go_name(text: str, fallback: str = "Value") -> str:
    """An exported Go identifier: ``api_key_id`` → ``APIKeyID``."""
    name = "".join(_word(w) for w in words(text))
    if not name:
        return fallback
    return fallback + name if name[0].isdigit() else name


def go_local(text: str) -> str:
    """An unexported Go identifier (a parameter): ``project_id`` → ``projectID``."""
    parts = words(text) or ["value"]
    first = parts[0]
    name = first + "".join(_word(w) for w in parts[1:])
    if name[0].isdigit():
        name = "v" + name
    return name + "_" if name in _KEYWORDS else name


def go_string(value: str) -> str:
    """A Go string literal (JSON's escapes are Go's, bar ``\\u2028``-style ones it also takes)."""
    return json.dumps(value, ensure_ascii=False)


def comment(text: str, indent: str = "") -> list[str]:
    """``// `` lines for ``text`` (none when empty)."""
    return (
        [
            f"{indent}//{' ' + line.rstrip() if line.strip() else ''}"
            for line in text.strip().splitlines()
        ]
        if text.strip()
        else []
    )


def align(rows: list[str | list[str]]) -> list[str]:
    """Lay rows out as gofmt does: cells of consecutive rows padded to a common width.

    A row is a list of cells (indentation included in the first); a string row (a comment or a
    blank line) ends every column block, as it does in gofmt's tabwriter.
    """
    out: list[str] = []
    block: list[list[str]] = []

    def flush() -> None:
        widths: dict[int, int] = {}
        lines = [list(r) for r in block]
        for col in range(max((len(r) for r in block), default=0)):
            start = 0
            while start < len(block):
                if len(block[start]) <= col + 1:
                    start += 1
                    continue
                end = start
                while end < len(block) and len(block[end]) > col + 1:
                    end += 1
                width = max(len(block[i][col]) for i in range(start, end))
                for i in range(start, end):
                    lines[i][col] = block[i][col].ljust(width)
                start = end
        del widths
        out.extend(" ".join(cells) for cells in lines)
        block.clear()

    for row in rows:
        if isinstance(row, str):
            flush()
            out.append(row)
        else:
            block.append(row)
    flush()
    return out


@dataclass
class GoField:
    """One struct field; ``value_struct`` names a struct held by value (for cycle checks)."""

    name: str
    wire: str
    type: str
    omitempty: bool
    doc: str
    value_struct: str | None = None
    nullable_optional: bool = False

    def tag(self) -> str:
        return f'`json:"{self.wire}{",omitempty" if self.omitempty else ""}"`'


@dataclass
class GoStruct:
    name: str
    doc: str
    fields: list[GoField] = field(default_factory=list)

    @property
    def null_fields(self) -> bool:
        return any(f.nullable_optional for f in self.fields)


@dataclass(frozen=True, slots=True)
class GoEnum:
    name: str
    doc: str
    base: str
    constants: tuple[tuple[str, str], ...]  # (Go name, literal)


@dataclass(frozen=True, slots=True)
class GoUnion:
    name: str
    doc: str
    variants: tuple[str, ...]  # Go types of the $ref variants
    discriminator: str | None


@dataclass(frozen=True, slots=True)
class GoAlias:
    name: str
    doc: str
    type: str


class GoTypes(SchemaIndex):
    """Type translation for one IR; declarations are collected as they are named."""

    def __init__(self, ir: ApiIR) -> None:
        super().__init__(ir)
        self.taken: set[str] = set()
        self.component: dict[str, str] = {}
        self.structs: dict[str, GoStruct] = {}
        self.enums: dict[str, GoEnum] = {}
        self.unions: dict[str, GoUnion] = {}
        self.aliases: dict[str, GoAlias] = {}
        self.order: list[str] = []
        for named in ir.schemas:
            self.component[named.name] = self.reserve(go_name(named.name, "Model"))
        for named in ir.schemas:
            self._declare(named)

    def reserve(self, name: str) -> str:
        """``name``, or ``name2``, ``name3``… when it is taken; marked as taken."""
        candidate, n = name, 2
        while candidate in self.taken:
            candidate, n = f"{name}{n}", n + 1
        self.taken.add(candidate)
        return candidate

    # --- classification --------------------------------------------------------------------

    @staticmethod
    def is_struct(schema: Schema) -> bool:
        if schema.kind == "object":
            return bool(schema.properties)
        return schema.kind == "all_of" and (len(schema.variants) != 1 or bool(schema.properties))

    def _declare(self, named: NamedSchema) -> None:
        name = self.component[named.name]
        schema = named.schema
        if self.is_struct(schema) and self.object_properties(schema) is not None:
            self.struct(name, schema, schema.description)
        elif schema.kind == "string" and schema.enum:
            self.enum(name, schema, schema.description)
        elif schema.kind in ("one_of", "any_of"):
            variants = tuple(
                self.component[v.ref] for v in schema.variants if v.kind == "ref" and v.ref
            )
            disc = schema.discriminator.property_name if schema.discriminator else None
            self.unions[name] = GoUnion(name, schema.description, variants, disc)
            self.order.append(name)
        else:
            self.aliases[name] = GoAlias(name, schema.description, self.type(schema, name + "Item"))
            self.order.append(name)

    def struct(self, name: str, schema: Schema, doc: str) -> None:
        plan = GoStruct(name, doc)
        self.structs[name] = plan
        self.order.append(name)
        used = {NULL_FIELDS}
        for prop in self.object_properties(schema) or ():
            field_name = go_name(prop.name)
            while field_name in used:
                field_name += "_"
            used.add(field_name)
            plan.fields.append(self.field(name, field_name, prop))

    def enum(self, name: str, schema: Schema, doc: str) -> None:
        used: set[str] = set()
        constants = []
        for value in schema.enum or ():
            if not isinstance(value, str):
                continue
            const = name + go_name(value, "Value")
            while const in used or (const in self.taken and const != name):
                const += "_"
            used.add(const)
            constants.append((const, go_string(value)))
        self.enums[name] = GoEnum(name, doc, "string", tuple(constants))
        self.order.append(name)

    # --- type expressions --------------------------------------------------------------------

    def field(self, owner: str, field_name: str, prop: Property) -> GoField:
        schema = prop.schema
        base = self.type(schema, owner + field_name)
        optional = not prop.required
        nullable = schema.nullable
        target = self.resolve(schema) if schema.kind == "ref" else None
        value_struct = (
            base
            if base in self.structs or (target is not None and self.is_struct(target))
            else None
        )
        pointer = (optional or nullable) and self.pointable(base)
        return GoField(
            name=field_name,
            wire=prop.name,
            type=("*" if pointer else "") + base,
            omitempty=optional,
            doc=schema.description,
            value_struct=None if pointer else value_struct,
            nullable_optional=nullable and optional,
        )

    @staticmethod
    def pointable(go_type: str) -> bool:
        """Whether nil of ``*go_type`` is needed to mean "unset" (slices and maps have nil)."""
        return not go_type.startswith(("[]", "map[", "*")) and go_type not in (
            "interface{}",
            "json.RawMessage",
        )

    def type(self, schema: Schema, context: str) -> str:
        """The Go type of values of ``schema``; inline objects/enums are named ``context``."""
        if schema.kind == "ref" and schema.ref:
            return self.component[schema.ref]
        if schema.kind == "string":
            if schema.enum and any(isinstance(v, str) for v in schema.enum):
                name = self.reserve(context)
                self.enum(name, schema, schema.description)
                return name
            if schema.format == "date-time":
                return "time.Time"
            return "[]byte" if schema.format == "binary" else "string"
        if schema.kind in _SCALARS:
            return _SCALARS[schema.kind]
        if schema.kind == "array":
            if schema.items is None:
                return "[]interface{}"
            item = self.type(schema.items, context + "Item")
            if schema.items.nullable and self.pointable(item):
                item = "*" + item
            return "[]" + item
        if self.is_struct(schema) and self.object_properties(schema) is not None:
            name = self.reserve(context)
            self.struct(name, schema, schema.description)
            return name
        if schema.kind == "object":
            extra = schema.additional_properties
            if isinstance(extra, Schema):
                return "map[string]" + self.type(extra, context + "Value")
            return "map[string]interface{}"
        if schema.kind == "all_of" and len(schema.variants) == 1 and not schema.properties:
            return self.type(schema.variants[0], context)
        if schema.kind in ("one_of", "any_of"):
            return "json.RawMessage"
        return "interface{}"

    # --- cycles ------------------------------------------------------------------------------

    def break_cycles(self) -> None:
        """Struct fields held by value that lead back to their struct become pointers."""

        def reaches(start: str, goal: str, seen: set[str]) -> bool:
            if start == goal:
                return True
            if start in seen or start not in self.structs:
                return False
            seen.add(start)
            return any(
                f.value_struct is not None and reaches(f.value_struct, goal, seen)
                for f in self.structs[start].fields
            )

        for plan in self.structs.values():
            for f in plan.fields:
                if f.value_struct is not None and reaches(f.value_struct, plan.name, set()):
                    f.type, f.value_struct = "*" + f.type, None
