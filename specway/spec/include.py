"""``x-specway-include``: the platform's own operations, mounted into a project's spec.

specway ships the operations every API platform needs — accounts, organisations and members, API
keys, webhook endpoints, the audit log — as *parts*: an OpenAPI fragment (path items, schemas,
events) beside the handlers that serve it, under ``specway/parts/<package>/``. A spec includes a
part with one line; :func:`apply_includes` merges the fragment into the loaded document, so every
room (lint, the app, ``spec bundle``, ``/openapi.json``, docs, SDKs) sees the operations exactly
like the project's own::

    x-specway-include: [api-keys, webhooks, audit-logs]

    x-specway-include:                 # the long form
      prefix: /v1                      # default: the /api, /v1-like start all paths share
      scopes: {read: read, write: write, delete: delete, admin: admin}
      parts:
        - accounts
        - part: organizations
          options: {counts: {project_count: projects}, cascade: [projects]}
        - part: api-keys
          operations:
            createApiKey: {summary: Mint a key, x-specway-ratelimit: {policies: [burst]}}
            revokeApiKey: false        # leave this operation out

What the merge does, per part operation:

- its path gets the include's ``prefix``;
- its ``x-specway-scopes`` (verbs: ``read``, ``write``, ``delete``, ``admin``) become its
  ``security``: one requirement per security scheme of the document (or ``schemes``), each with
  the scope names ``scopes`` maps the verbs to — by default ``<resource>:<verb>``, e.g.
  ``api_keys:write``;
- ``operations.<operationId>`` overrides are laid over it (``false`` drops it);
- it is marked ``x-specway-part: <name>`` so the app serves it with the part's handlers.

The document's own definitions always win: a path + method, a component, a tag or an event the
document already has is kept, so a project overrides a part's schema by defining it. List schemas
are written for the document's pagination style; the ``Error`` schema, when the document has
none, for its error style. Applying the includes twice (to a bundle) changes nothing.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specway.spec.dialect import iter_refs
from specway.spec.methods import HTTP_METHODS
from specway.spec.plugin_names import DEFAULT_PLUGINS, REQUIRED_PLUGINS
from specway.spec.problems import Level, Problem, pointer
from specway.spec.scopes import scope_set

INCLUDE_KEY = "x-specway-include"
PART_KEY = "x-specway-part"
SCOPES_KEY = "x-specway-scopes"
LIST_KEY = "x-specway-list-of"
SCOPE_NAMES_KEY = "x-specway-scope-names"
VERBS = ("read", "write", "delete", "admin")
PARTS_DIR = Path(__file__).resolve().parent.parent / "parts"


@dataclass(frozen=True, slots=True)
class Part:
    """One includable part: its name in specs, its folder, what it needs, its scope prefix."""

    name: str
    package: str
    requires: tuple[str, ...]
    resource: str
    summary: str

    @property
    def handlers(self) -> str:
        """The module whose functions serve the part's operations (``snake(operationId)``)."""
        return f"specway.parts.{self.package}.handlers"

    @property
    def fragment(self) -> Path:
        return PARTS_DIR / self.package / "openapi.yaml"


PARTS: dict[str, Part] = {
    part.name: part
    for part in (
        Part(
            "accounts",
            "accounts",
            ("auth",),
            "account",
            "register, login, logout and profile (session tokens)",
        ),
        Part(
            "organizations",
            "organizations",
            ("auth",),
            "organizations",
            "organisations, their members and roles",
        ),
        Part(
            "api-keys",
            "api_keys",
            ("auth",),
            "api_keys",
            "API keys with scopes, expiry, IP allow-lists (create, list, get, revoke, rotate)",
        ),
        Part(
            "webhooks",
            "webhooks",
            ("auth", "webhooks"),
            "webhooks",
            "webhook endpoints, event catalogue, deliveries, redeliver, recover, rotate, test",
        ),
        Part(
            "security",
            "security",
            ("auth",),
            "security",
            "the organisation's IP allow-list, enforced for every key and session",
        ),
        Part(
            "audit-logs",
            "audit_logs",
            ("auth", "audit"),
            "audit_logs",
            "the organisation's audit log, with filters",
        ),
    )
}


def part_of(operation: dict[str, Any]) -> Part | None:
    """The part an operation of a loaded document came from, if any."""
    name = operation.get(PART_KEY)
    return PARTS.get(name) if isinstance(name, str) else None


@dataclass(frozen=True, slots=True)
class _Item:
    part: Part
    at: str
    prefix: str
    scopes: dict[str, str]
    operations: dict[str, Any]


def apply_includes(document: dict[str, Any], read: Any) -> list[Problem]:
    """Merge the parts ``document``'s ``x-specway-include`` names into it, in place.

    ``read(path)`` parses a fragment file (the loader's cached reader). Returns the problems
    found (unknown part, missing plugin, override of an unknown operation); the parts that could
    be read are merged all the same.
    """
    raw = document.get(INCLUDE_KEY)
    if raw is None:
        return []
    items, problems = _items(document, raw)
    if not items:
        return problems
    common = read(PARTS_DIR / "common.yaml")
    added = _missing(document, common)
    _merge_fragment(document, common)
    style = _pagination_style(document)
    for item in items:
        fragment = copy.deepcopy(read(item.part.fragment))
        problems += _merge_part(document, item, fragment)
    _write_lists(document, style)
    _ensure_error_schema(document)
    _write_scope_names(document, list(scope_set(document).names))
    _drop_unused(document, added)
    return problems


def _missing(document: dict[str, Any], fragment: dict[str, Any]) -> set[tuple[str, str]]:
    """The ``(kind, name)`` components of ``fragment`` that ``document`` does not have."""
    have = document.get("components") or {}
    return {
        (kind, name)
        for kind, entries in (fragment.get("components") or {}).items()
        for name in entries
        if name not in (have.get(kind) or {})
    }


def _drop_unused(document: dict[str, Any], added: set[tuple[str, str]]) -> None:
    """Remove the shared components the merge added that nothing refers to (a part that has no
    409 needs no ``Conflict`` response), so linters find no unused components."""
    components = document["components"]
    while True:
        used = set(iter_refs(document))
        unused = {(kind, name) for kind, name in added if f"#/components/{kind}/{name}" not in used}
        unused = {(k, n) for k, n in unused if n in (components.get(k) or {})}
        if not unused:
            return
        for kind, name in unused:
            del components[kind][name]


def _items(document: dict[str, Any], raw: Any) -> tuple[list[_Item], list[Problem]]:
    if isinstance(raw, list):
        config: dict[str, Any] = {"parts": raw}
        base: tuple[str, ...] = (INCLUDE_KEY,)
    elif isinstance(raw, dict):
        config, base = raw, (INCLUDE_KEY, "parts")
    else:
        return [], []  # the extension schema reports the shape
    entries = config.get("parts")
    if not isinstance(entries, list):
        return [], []
    plugins = document.get("x-specway-plugins")
    enabled = set(plugins) if isinstance(plugins, list) else set(DEFAULT_PLUGINS)
    enabled |= set(REQUIRED_PLUGINS)
    items: list[_Item] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    default_prefix = api_prefix(document)
    for index, entry in enumerate(entries):
        at = pointer(*base, str(index))
        spec = {"part": entry} if isinstance(entry, str) else entry
        if not isinstance(spec, dict) or not isinstance(spec.get("part"), str):
            continue  # the extension schema reports the shape
        part = PARTS.get(spec["part"])
        if part is None:
            problems.append(
                Problem(
                    at,
                    f"unknown part {spec['part']!r}",
                    "include one of: " + ", ".join(sorted(PARTS)),
                )
            )
            continue
        if part.name in seen:
            problems.append(Problem(at, f"part {part.name!r} is included twice", "list it once"))
            continue
        seen.add(part.name)
        missing = [name for name in part.requires if name not in enabled]
        if missing:
            # A warning: the operations are still served, answering 503 until it is enabled.
            problems.append(
                Problem(
                    at,
                    f"part {part.name!r} needs the plugin(s) {', '.join(missing)}; its "
                    "operations answer 503 without",
                    "add " + ", ".join(missing) + " to x-specway-plugins",
                    Level.WARNING,
                )
            )
        prefix = str(spec.get("prefix", config.get("prefix", default_prefix))).rstrip("/")
        scopes = {**_dict(config.get("scopes")), **_dict(spec.get("scopes"))}
        items.append(
            _Item(
                part,
                at,
                prefix,
                {k: str(v) for k, v in scopes.items()},
                _dict(spec.get("operations")),
            )
        )
    return items, problems


_VERSION_SEGMENT = re.compile(r"^(api|v\d+(\.\d+)?)$", re.IGNORECASE)


def api_prefix(document: dict[str, Any]) -> str:
    """The ``/api``/``/v1``-like leading segments every path of the document shares (``""`` if
    none): where parts go when the include names no ``prefix``."""
    shared: list[str] | None = None
    for path in document.get("paths") or {}:
        segments = [s for s in str(path).split("/") if s]
        lead = []
        for segment in segments[:-1] if len(segments) > 1 else segments:
            if not _VERSION_SEGMENT.match(segment):
                break
            lead.append(segment)
        shared = lead if shared is None else _common(shared, lead)
    return "".join(f"/{s}" for s in shared or [])


def _common(a: list[str], b: list[str]) -> list[str]:
    out = []
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        out.append(x)
    return out


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _merge_part(document: dict[str, Any], item: _Item, fragment: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    schemes = _schemes(document)
    paths = document.setdefault("paths", {})
    found: set[str] = set()
    for path, path_item in (fragment.get("paths") or {}).items():
        full = item.prefix + path
        target = paths.setdefault(full, {})
        for key, value in path_item.items():
            if key not in HTTP_METHODS:
                target.setdefault(key, value)
                continue
            op_id = str(value.get("operationId", ""))
            found.add(op_id)
            override = item.operations.get(op_id)
            if override is False or key in target:
                continue
            target[key] = _operation(item, value, schemes, override)
        if not any(method in target for method in HTTP_METHODS):
            del paths[full]
    for op_id in item.operations:
        if op_id not in found:
            problems.append(
                Problem(
                    pointer(*item.at.lstrip("/").split("/"), "operations", op_id),
                    f"part {item.part.name!r} has no operation {op_id!r}",
                    "override one of: " + ", ".join(sorted(found)),
                )
            )
    _merge_fragment(document, fragment)
    return problems


def _operation(
    item: _Item, op: dict[str, Any], schemes: list[str], override: Any
) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key, value in op.items():
        if key == SCOPES_KEY:
            names = [item.scopes.get(verb, f"{item.part.resource}:{verb}") for verb in value]
            merged["security"] = [{scheme: list(names)} for scheme in schemes]
        else:
            merged[key] = value
    merged[PART_KEY] = item.part.name
    if isinstance(override, dict):
        merged.update(copy.deepcopy(override))
    return merged


def _schemes(document: dict[str, Any]) -> list[str]:
    """The security schemes part operations are protected by: the document's (a bearer one if
    it declares none)."""
    components = document.setdefault("components", {})
    declared = components.setdefault("securitySchemes", {})
    if not declared:
        declared["bearerAuth"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer <API key or session token>`.",
        }
    top = document.get("security")
    if isinstance(top, list) and top:
        return [name for req in top if isinstance(req, dict) for name in req]
    return [name for name, scheme in declared.items() if isinstance(scheme, dict)]


def _merge_fragment(document: dict[str, Any], fragment: dict[str, Any]) -> None:
    """Components, tags and events of ``fragment`` the document does not define already."""
    components = document.setdefault("components", {})
    for kind, entries in (fragment.get("components") or {}).items():
        target = components.setdefault(kind, {})
        for name, value in entries.items():
            target.setdefault(name, copy.deepcopy(value))
    tags = document.setdefault("tags", []) if fragment.get("tags") else None
    if tags is not None:
        have = {tag.get("name") for tag in tags if isinstance(tag, dict)}
        tags.extend(copy.deepcopy(t) for t in fragment["tags"] if t.get("name") not in have)
    events = fragment.get("x-webhooks")
    if events:
        key = "webhooks" if str(document.get("openapi", "")).startswith("3.1") else "x-webhooks"
        target = document.setdefault(key, {})
        for name, value in events.items():
            target.setdefault(name, copy.deepcopy(value))


def _pagination_style(document: dict[str, Any]) -> tuple[str, str]:
    config = _dict(document.get("x-specway-pagination"))
    return str(config.get("style", "page")), str(config.get("key", "data"))


def _write_lists(document: dict[str, Any], style: tuple[str, str]) -> None:
    """Each part list schema (``x-specway-list-of: Item``) in the document's pagination style."""
    schemas = document["components"].setdefault("schemas", {})
    for name, schema in list(schemas.items()):
        if isinstance(schema, dict) and isinstance(schema.get(LIST_KEY), str):
            schemas[name] = list_schema(style[0], style[1], schema[LIST_KEY], schemas)


def list_schema(style: str, key: str, item: str, schemas: dict[str, Any]) -> dict[str, Any]:
    """The body of one page of ``item``s as :func:`specway.pagination.list_response` sends it."""
    items = {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}
    url = {"type": "string", "nullable": True}
    integer = {"type": "integer"}
    if style == "drf":
        return _object(count=integer, next=url, previous=url, results=items)
    if style == "meta":
        meta = _object(current_page=integer, total_pages=integer, total_count=integer)
        return _object(data=items, meta=meta)
    if style == "keyed":
        return _object(**{key: items})
    if style == "status-wrapped":
        flag = {"type": "boolean"}
        meta = _object(
            page=integer,
            per_page=integer,
            total_items=integer,
            total_pages=integer,
            has_next=flag,
            has_previous=flag,
        )
        return _object(status={"type": "string", "enum": ["success"]}, data=items, meta=meta)
    schemas.setdefault(
        "Pagination", _object(page=integer, per_page=integer, total=integer, pages=integer)
    )
    schemas.setdefault(
        "Links", _object(first={"type": "string"}, prev=url, next=url, last={"type": "string"})
    )
    return _object(
        data=items,
        pagination={"$ref": "#/components/schemas/Pagination"},
        links={"$ref": "#/components/schemas/Links"},
    )


def _write_scope_names(node: Any, names: list[str]) -> None:
    """Every schema marked ``x-specway-scope-names`` becomes a string enum of the API's scopes."""
    if isinstance(node, dict):
        if node.pop(SCOPE_NAMES_KEY, None) is not None and names:
            node["enum"] = list(names)
        for value in node.values():
            _write_scope_names(value, names)
    elif isinstance(node, list):
        for value in node:
            _write_scope_names(value, names)


def _object(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties}


def _ensure_error_schema(document: dict[str, Any]) -> None:
    """The ``Error`` schema the parts' responses name, for the document's error style."""
    schemas = document["components"].setdefault("schemas", {})
    if "Error" in schemas:
        return
    style = str(_dict(document.get("x-specway-errors")).get("style", "nested"))
    text = {"type": "string"}
    detail = {"description": "Structured detail, e.g. the failing fields."}
    if style == "problem":
        schema = _object(
            type=text, title=text, status={"type": "integer"}, detail=text, request_id=text
        )
        schema["properties"].update(code=text, details=detail)
    elif style == "flat":
        schema = _object(error=text, code=text, request_id=text)
        schema["properties"].update(details=detail, timestamp=text)
    else:
        inner = _object(code=text, message=text, request_id=text)
        inner["properties"]["details"] = detail
        schema = (
            _object(status={"type": "string", "enum": ["error"]}, error=inner)
            if style == "status-wrapped"
            else _object(error=inner)
        )
    schema["description"] = "The error envelope (x-specway-errors)."
    schemas["Error"] = schema


def part_options(document: dict[str, Any], name: str) -> dict[str, Any]:
    """The ``options`` the document's ``x-specway-include`` gives part ``name`` (``{}`` if none)."""
    raw = document.get(INCLUDE_KEY)
    entries = raw.get("parts") if isinstance(raw, dict) else raw
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and entry.get("part") == name:
            return _dict(entry.get("options"))
    return {}
