"""``models.go`` of the Go SDK: the declarations :class:`GoTypes` collected, laid out as gofmt does.

Rendered in Python rather than a template because gofmt aligns struct fields and constants in
columns; :func:`go_types.align` does that so the file is gofmt-clean as written.
"""

from __future__ import annotations

from specway.codegen.go_types import (
    NULL_FIELDS,
    GoAlias,
    GoEnum,
    GoStruct,
    GoTypes,
    GoUnion,
    align,
    comment,
    go_string,
)


def _doc(name: str, text: str, fallback: str) -> list[str]:
    lines = comment(text)
    if not lines:
        return [f"// {name} {fallback}"]
    first = lines[0][3:]
    return [f"// {name}: {first}", *lines[1:]]


def struct_lines(plan: GoStruct) -> list[str]:
    rows: list[str | list[str]] = []
    for f in plan.fields:
        rows.extend(comment(f.doc, "\t"))
        rows.append(["\t" + f.name, f.type, f.tag()])
    if plan.null_fields:
        rows.append("")
        rows.append("\t// NullFields names the Go fields (optional and nullable) to send as null.")
        rows.append(["\t" + NULL_FIELDS, "[]string", '`json:"-"`'])
    lines = _doc(plan.name, plan.doc, "is an object of the API.")
    lines.append(f"type {plan.name} struct {{")
    lines += align(rows)
    lines.append("}")
    if plan.null_fields:
        lines += [
            "",
            "// MarshalJSON sends the fields named in NullFields as null.",
            f"func (m {plan.name}) MarshalJSON() ([]byte, error) {{",
            f"\ttype plain {plan.name}",
            f"\treturn marshalWithNulls(plain(m), m.{NULL_FIELDS})",
            "}",
        ]
    return lines


def enum_lines(plan: GoEnum) -> list[str]:
    lines = _doc(plan.name, plan.doc, "is one of the constants below.")
    lines.append(f"type {plan.name} {plan.base}")
    if plan.constants:
        lines += ["", f"// The values of {plan.name}.", "const ("]
        lines += align([["\t" + const, plan.name, "= " + value] for const, value in plan.constants])
        lines.append(")")
    return lines


def union_lines(plan: GoUnion) -> list[str]:
    n = plan.name
    kinds = ", ".join(plan.variants) or "several shapes"
    lines = _doc(n, plan.doc, f"is one of: {kinds}.")
    if plan.doc:
        lines += ["//", f"// One of: {kinds}; decode it with the As methods."]
    lines += [
        f"type {n} struct {{",
        "\traw json.RawMessage",
        "}",
        "",
        "// MarshalJSON sends the value as it was made or received.",
        f"func (u {n}) MarshalJSON() ([]byte, error) {{",
        "\tif len(u.raw) == 0 {",
        '\t\treturn []byte("null"), nil',
        "\t}",
        "\treturn u.raw, nil",
        "}",
        "",
        "// UnmarshalJSON keeps the JSON for the As methods.",
        f"func (u *{n}) UnmarshalJSON(data []byte) error {{",
        "\tu.raw = append(json.RawMessage(nil), data...)",
        "\treturn nil",
        "}",
        "",
        "// Raw returns the JSON of the value.",
        f"func (u {n}) Raw() json.RawMessage {{ return u.raw }}",
    ]
    if plan.discriminator:
        lines += [
            "",
            f"// Discriminator returns the {go_string(plan.discriminator)} property: which "
            "variant this is.",
            f"func (u {n}) Discriminator() string {{",
            "\tvar tagged map[string]json.RawMessage",
            "\tvar value string",
            "\tif json.Unmarshal(u.raw, &tagged) == nil {",
            f"\t\t_ = json.Unmarshal(tagged[{go_string(plan.discriminator)}], &value)",
            "\t}",
            "\treturn value",
            "}",
        ]
    for variant in plan.variants:
        lines += [
            "",
            f"// As{variant} decodes the value as a {variant}.",
            f"func (u {n}) As{variant}() ({variant}, error) {{",
            f"\tvar v {variant}",
            "\terr := json.Unmarshal(u.raw, &v)",
            "\treturn v, err",
            "}",
            "",
            f"// {n}Of{variant} makes a {n} of a {variant}.",
            f"func {n}Of{variant}(v {variant}) ({n}, error) {{",
            "\tdata, err := json.Marshal(v)",
            f"\treturn {n}{{raw: data}}, err",
            "}",
        ]
    return lines


def alias_lines(plan: GoAlias) -> list[str]:
    return [*_doc(plan.name, plan.doc, "is a type of the API."), f"type {plan.name} = {plan.type}"]


def render_models(types: GoTypes, header: str, package: str) -> str:
    """The text of ``models.go``."""
    blocks: list[list[str]] = []
    for name in types.order:
        if name in types.structs:
            blocks.append(struct_lines(types.structs[name]))
        elif name in types.enums:
            blocks.append(enum_lines(types.enums[name]))
        elif name in types.unions:
            blocks.append(union_lines(types.unions[name]))
        else:
            blocks.append(alias_lines(types.aliases[name]))
    body = "\n\n".join("\n".join(block) for block in blocks)
    imports = [pkg for pkg in ("encoding/json", "time") if _uses(body, pkg)]
    return go_file(header, package, body, imports)


def go_file(header: str, package: str, body: str, imports: list[str]) -> str:
    """A Go source file: the generated-by line, the package clause, imports, then ``body``."""
    head = [header, "", f"package {package}", ""]
    if len(imports) == 1:
        head += [f'import "{imports[0]}"', ""]
    elif imports:
        head += ["import (", *[f'\t"{i}"' for i in sorted(imports)], ")", ""]
    return "\n".join([*head, body.rstrip("\n")]) + "\n"


def imports_of(body: str, candidates: tuple[str, ...]) -> list[str]:
    """The packages among ``candidates`` that ``body`` uses."""
    return [pkg for pkg in candidates if _uses(body, pkg)]


def _uses(body: str, pkg: str) -> bool:
    """Whether code (not comments) of ``body`` refers to ``pkg``."""
    ref = pkg.rsplit("/", 1)[-1] + "."
    return any(ref in line for line in body.splitlines() if not line.lstrip().startswith("//"))
