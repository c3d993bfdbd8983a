"""The reference docs generator: Markdown pages plus one self-contained HTML page.

==================  ===========================================================================
``README.md``       overview, base URL and versioning, authentication and scopes, rate limits,
                    errors, pagination, filtering and sorting, the endpoint index, SDKs
``<tag>.md``        each tag's endpoints: scopes, limits, parameters, examples, snippets
``webhooks.md``     event catalogue, payload examples, signature verification (if any events)
``models.md``       every component schema with its fields and an example
``index.html``      all of the above on one page, no external assets
==================  ===========================================================================
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

from specway.codegen import snippets
from specway.codegen.describe import constraint_notes, json_text, py_literal, ts_literal, type_label
from specway.codegen.envelope import error_example, pagination_example
from specway.codegen.go_sdk import go_program, module_path
from specway.codegen.go_services import GoSdkPlanner
from specway.codegen.go_snippets import GoSnippets
from specway.codegen.ir import ApiIR, Operation, Schema
from specway.codegen.naming import model_name
from specway.codegen.python_sdk import python_program
from specway.codegen.render import environment, render
from specway.codegen.typescript import typescript_program

_BLANK_RUNS = re.compile(r"\n{3,}")
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False})
_SORT_NAMES = ("sort", "order", "sort_by", "order_by", "direction")
_PAGE_NAMES = ("page", "per_page", "cursor", "limit", "page_size")


def md_cell(text: Any) -> str:
    """Text safe inside a Markdown table cell (one line, pipes escaped)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def cell(description: str, notes: list[str]) -> str:
    """A description with its constraint notes in brackets: ``Page number (≥ 1; default 1)``."""
    text = description.strip()
    if notes:
        text = f"{text} ({'; '.join(notes)})" if text else "; ".join(notes)
    return text


def md_html(text: Any) -> Markup:
    """CommonMark → HTML with raw HTML escaped (spec text is never trusted as markup)."""
    return Markup(_MD.render(str(text)))  # noqa: S704 - markdown-it escapes raw HTML (html=False)


def md_inline_html(text: Any) -> Markup:
    return Markup(_MD.renderInline(str(text)))  # noqa: S704 - as above


def model_anchor(name: str) -> str:
    return "model-" + model_name(name).lower()


def resolve(ir: ApiIR, schema: Schema | None) -> Schema | None:
    seen: set[str] = set()
    while schema is not None and schema.kind == "ref" and schema.ref and schema.ref not in seen:
        seen.add(schema.ref)
        schema = ir.schema(schema.ref).schema
    return schema


def fields(ir: ApiIR, schema: Schema | None) -> list[dict[str, Any]]:
    """Rows for a fields table: the (resolved) object's properties, allOf parts merged."""
    target = resolve(ir, schema)
    if target is None:
        return []
    props = list(target.properties)
    if target.kind == "all_of":
        for part in target.variants:
            resolved = resolve(ir, part)
            if resolved is not None:
                props += list(resolved.properties)
    return [
        {
            "name": p.name,
            "type": type_label(p.schema),
            "required": p.required,
            "description": (p.schema.description or _ref_description(ir, p.schema)).strip(),
            "notes": constraint_notes(resolve(ir, p.schema) or p.schema),
            "ref": p.schema.ref or (p.schema.items.ref if p.schema.items else None),
        }
        for p in props
    ]


def _ref_description(ir: ApiIR, schema: Schema) -> str:
    target = resolve(ir, schema)
    return target.description if target is not None else ""


def filter_params(op: Operation) -> dict[str, list[Any]]:
    """An operation's query parameters split into filters, sort and search."""
    groups: dict[str, list[Any]] = {"filters": [], "sort": [], "search": []}
    for p in op.query_parameters:
        if p.name in _PAGE_NAMES:
            continue
        if p.name in _SORT_NAMES:
            groups["sort"].append(p)
        elif p.name in ("search", "q", "query"):
            groups["search"].append(p)
        else:
            groups["filters"].append(p)
    return groups


def filter_example(ir: ApiIR, op: Operation) -> str:
    """A combined filter + sort + page query for ``op``, from its own parameters."""
    groups = filter_params(op)
    parts = [f"{p.name}={p.example}" for p in groups["filters"][:2] + groups["sort"]]
    if op.pagination is not None:
        parts += ["page=1", f"per_page={min(25, op.pagination.max_per_page)}"]
    return f"{op.method.upper()} {op.path}" + ("?" + "&".join(parts) if parts else "")


def _context(ir: ApiIR) -> dict[str, Any]:
    paginated = [op for op in ir.operations if op.pagination is not None]
    filtered = [
        op for op in ir.operations if any(filter_params(op).values()) and op.method == "get"
    ]
    api_key_op = next(
        (
            op
            for op in ir.operations
            if op.method == "post" and op.path.rstrip("/").endswith("api-keys")
        ),
        None,
    )
    first_list = paginated[0] if paginated else None
    items = []
    if first_list is not None and first_list.pagination and first_list.pagination.item_schema:
        ref = first_list.pagination.item_schema.ref
        items = [ir.schema(ref).example] if ref else []
    page_style = (
        first_list.pagination.style if first_list and first_list.pagination else ir.pagination.style
    )
    page_key = (
        first_list.pagination.key if first_list and first_list.pagination else ir.pagination.key
    )
    policies = {p.name for p in ir.rate_limits.policies}
    rate_limited_ops = [
        op
        for op in ir.operations
        if op.rate_limit.policies or op.rate_limit.exempt or op.rate_limit.cost != 1
    ]
    tightest = min(
        (p for tier in ir.rate_limits.tiers for p in tier.policies),
        key=lambda p: (p.window, p.limit),
        default=ir.rate_limits.policies[0] if ir.rate_limits.policies else None,
    )
    return {
        "ir": ir,
        "paginated": paginated,
        "filtered": filtered,
        "api_key_op": api_key_op,
        "pagination_example": pagination_example(
            page_style,
            page_key,
            items or [{"id": "…"}],
            first_list.path if first_list else "/items",
        ),
        "page_style": page_style,
        "rate_limited_ops": rate_limited_ops,
        "has_policies": bool(policies),
        "tightest": tightest,
        "rate_limit_error": error_example(
            ir.errors.style,
            ir.errors.code_case,
            429,
            "rate_limited",
            "Rate limit exceeded",
            {
                "policy": tightest.name,
                "limit": tightest.limit,
                "window": tightest.window,
                "retry_after": 12,
            }
            if tightest
            else None,
            renames=ir.errors.renames,
            extra={"retry_after": 12} if ir.errors.retry_after_field else None,
        ),
        "public_ops": [op for op in ir.operations if op.public],
        "events_by_name": {e.name: e for e in ir.webhooks},
        "operations_by_id": {op.operation_id: op for op in ir.operations},
        # The program each SDK's README opens with (create, list across pages, a typed 404).
        "sdk_python": python_program(ir).rstrip(),
        "sdk_typescript": typescript_program(ir).rstrip(),
        "sdk_go": go_program(ir).rstrip(),
        "go_module": module_path(ir)[0],
    }


FILTERS: dict[str, Callable[..., Any]] = {
    "md_cell": md_cell,
    "md_html": md_html,
    "md_inline_html": md_inline_html,
    "json": json_text,
    "py": py_literal,
    "ts": ts_literal,
    "type_label": type_label,
    "model_name": model_name,
    "model_anchor": model_anchor,
}


def _tidy_markdown(text: str) -> str:
    """At most one blank line in a row, exactly one newline at the end."""
    return _BLANK_RUNS.sub("\n\n", text).rstrip("\n") + "\n"


def generate_docs(ir: ApiIR, templates: Path | None = None) -> dict[str, str]:
    """Every file of the reference (relative path → text)."""
    env = environment("docs", templates, FILTERS)
    go = GoSnippets(GoSdkPlanner(ir), module_path(ir)[1], ir.sdk.env_var)
    env.globals.update(
        curl=lambda op: snippets.curl(ir, op),
        go_snippet=go.snippet,
        python_snippet=lambda op: snippets.python(ir, op),
        typescript_snippet=lambda op: snippets.typescript(ir, op),
        fields=lambda schema: fields(ir, schema),
        resolve=lambda schema: resolve(ir, schema),
        constraint_notes=constraint_notes,
        cell=cell,
        filter_params=filter_params,
        filter_example=lambda op: filter_example(ir, op),
        verify_code=lambda lang: render(env, f"_verify.{lang}.j2").rstrip("\n"),
    )
    context = _context(ir)
    files = {"README.md": render(env, "README.md.j2", **context)}
    for tag in ir.tags:
        files[f"{tag.slug}.md"] = render(env, "tag.md.j2", tag=tag, **context)
    if ir.webhooks:
        files["webhooks.md"] = render(env, "webhooks.md.j2", **context)
    files["models.md"] = render(env, "models.md.j2", **context)
    files = {name: _tidy_markdown(text) for name, text in files.items()}
    files["index.html"] = render(env, "index.html.j2", **context)
    return files
