"""The TypeScript SDK generator: an npm package with zero runtime dependencies.

==========================  =====================================================================
``package.json``            dual package: ``import`` → ``dist/`` (ESM), ``require`` → ``dist/cjs/``
``tsconfig.json``           strict, ``exactOptionalPropertyTypes``; ``tsc -p .`` builds ``dist/``
``tsconfig.cjs.json``       the same sources as CommonJS into ``dist/cjs/`` (``npm run build``)
``src/require.ts``          with ``typescript.default_export``: ``require()`` gives the client class
``src/core.ts``             transport: auth, retries with backoff, Idempotency-Key, timeout, abort
``src/errors.ts``           the error hierarchy and the spec's error envelope, parsed
``src/pagination.ts``       ``for await`` over every item of a list operation
``src/webhooks.ts``         ``verifyWebhook`` with Web Crypto (Standard Webhooks + ``X-Signature``)
``src/models.ts``           one type per component schema
``src/resources/<tag>.ts``  one class per tag; one method per operation
``src/client.ts``           ``Client`` with a property per resource
==========================  =====================================================================

Names come from :mod:`codegen.naming` (``client.apiKeys.create``), the same surface the docs
snippets and the Python SDK use.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from specway.codegen.describe import ts_literal
from specway.codegen.ir import ApiIR, Operation, Parameter, Schema
from specway.codegen.naming import ts_identifier
from specway.codegen.quickstart import quickstart
from specway.codegen.render import environment, render
from specway.codegen.ts_types import TypeRenderer, doc_comment, property_key
from specway.codegen.ts_types import group as _group_type
from specway.spec.naming import camel, pascal, snake

SDK_VERSION_FALLBACK = "0.1.0"
# ``npm run build``: ESM into dist/, CommonJS into dist/cjs/ (marked CommonJS for Node, since
# the package itself is ``"type": "module"``).
BUILD_SCRIPT = (
    "tsc -p tsconfig.json && tsc -p tsconfig.cjs.json && node -e \"require('node:fs')"
    ".writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }))\""
)
_SKIPPED_HEADERS = frozenset({"idempotency-key", "authorization", "content-type"})


@dataclass(frozen=True, slots=True)
class PagePlan:
    """How ``<method>All`` walks pages: the list style and where items and cursors are."""

    style: str
    key: str
    item_type: str
    page_size: int
    cursor_field: str


@dataclass(frozen=True, slots=True)
class MethodView:
    """One SDK method, precomputed for the resource template."""

    name: str
    doc: str
    http_method: str
    path: str
    path_args: tuple[tuple[str, str], ...]
    params_type: str | None
    params_decl: str | None
    params_optional: bool
    query: tuple[str, ...]
    headers: tuple[str, ...]
    body: str
    response_type: str
    response_kind: str
    page: PagePlan | None
    operation_id: str
    # ``x-specway-sdk.operations.<id>.arguments`` in camel case: SDK name → wire name.
    renames: dict[str, str]


def _resolve(ir: ApiIR, schema: Schema | None) -> Schema | None:
    seen: set[str] = set()
    while schema is not None and schema.kind == "ref" and schema.ref and schema.ref not in seen:
        seen.add(schema.ref)
        schema = ir.schema(schema.ref).schema
    return schema


def _is_object(ir: ApiIR, schema: Schema) -> bool:
    target = _resolve(ir, schema)
    if target is None:
        return False
    if target.kind == "all_of":
        return all(_is_object(ir, part) for part in target.variants)
    return target.kind == "object" and bool(target.properties) and not target.accepts_null


def _has_required(ir: ApiIR, schema: Schema) -> bool:
    target = _resolve(ir, schema)
    if target is None:
        return False
    if target.kind == "all_of":
        return any(_has_required(ir, part) for part in target.variants) or bool(
            target.required_names
        )
    return any(p.required and not p.schema.read_only for p in target.properties)


def _field_names(ir: ApiIR, schema: Schema) -> set[str]:
    """The properties of an object body (``allOf`` parts included)."""
    target = _resolve(ir, schema)
    if target is None:
        return set()
    names = {p.name for p in target.properties}
    if target.kind == "all_of":
        for part in target.variants:
            names |= _field_names(ir, part)
    return names


def _required_fields(ir: ApiIR, schema: Schema) -> set[str]:
    """The required properties of an object body (``allOf`` parts included)."""
    target = _resolve(ir, schema)
    if target is None:
        return set()
    names = {p.name for p in target.properties if p.required} | set(target.required_names)
    if target.kind == "all_of":
        for part in target.variants:
            names |= _required_fields(ir, part)
    return names


def _read_only(ir: ApiIR, schema: Schema) -> list[str]:
    target = _resolve(ir, schema)
    if target is None:
        return []
    names = [p.name for p in target.properties if p.schema.read_only]
    if target.kind == "all_of":
        for part in target.variants:
            names += _read_only(ir, part)
    return sorted(set(names))


class TypeScriptSdk:
    """Builds the views of one IR and renders every file of the package."""

    def __init__(self, ir: ApiIR) -> None:
        self.ir = ir
        self.types = TypeRenderer()

    def method(self, op: Operation) -> MethodView:
        sdk = op.sdk
        prefix = pascal(sdk.ts_resource) + pascal(sdk.ts_method)
        renamed = {wire: ts_identifier(camel(name)) for wire, name in sdk.arguments}
        path = op.path
        path_args = []
        for p in op.path_parameters:
            ident = renamed.get(p.name) or ts_identifier(p.name)
            segment = f"${{pathSegment({json.dumps(ident)}, {ident})}}"
            path = path.replace("{" + p.name + "}", segment)
            path_args.append((ident, self.types.type(p.schema)))
        query = [p for p in op.query_parameters]
        headers = [
            p
            for p in op.parameters
            if p.location == "header" and p.name.lower() not in _SKIPPED_HEADERS
        ]
        members = "".join(self._param_member(p, renamed.get(p.name)) for p in [*query, *headers])
        required = any(p.required for p in [*query, *headers])
        body_mode = "none"
        parts: list[str] = []
        if op.body is not None:
            form = "form" in op.body.content_type
            json_body = op.body.content_type.endswith("json")
            if (form or json_body) and _is_object(self.ir, op.body.schema):
                body_mode = "form" if form else "fields"
                body_type = self.types.type(op.body.schema)
                hidden = _read_only(self.ir, op.body.schema)
                fields = [n for n in renamed if n in _field_names(self.ir, op.body.schema)]
                left_out = [*hidden, *fields]
                if left_out:
                    body_type = f"Omit<{body_type}, {' | '.join(json.dumps(n) for n in left_out)}>"
                parts.append(body_type)
                if fields:
                    parts.append(self._renamed_fields(op.body.schema, fields, renamed))
                required = required or (op.body.required and _has_required(self.ir, op.body.schema))
            else:
                body_mode = "form-body" if form else ("body" if json_body else "raw-body")
                optional = "" if op.body.required else "?"
                members += f"  /** The request body ({op.body.content_type}). */\n"
                members += f"  body{optional}: {self.types.type(op.body.schema, '  ')};\n"
                required = required or op.body.required
        if members:
            parts.append("{\n" + members + "}")
        params_type = f"{prefix}Params" if parts else None
        params_decl = " & ".join(parts) if parts else None
        response_type, response_kind = self._response(op)
        doc_lines = [op.summary]
        if op.description and op.description != op.summary:
            doc_lines += ["", op.description]
        doc_lines += ["", f"`{op.method.upper()} {op.path}`"]
        if op.deprecated:
            doc_lines += ["", "@deprecated"]
        return MethodView(
            name=sdk.ts_method,
            doc=doc_comment("\n".join(doc_lines), "  "),
            http_method=op.method.upper(),
            path=path,
            path_args=tuple(path_args),
            params_type=params_type,
            params_decl=params_decl,
            params_optional=not required,
            query=tuple(p.name for p in query),
            headers=tuple(p.name for p in headers),
            body=body_mode,
            response_type=response_type,
            response_kind=response_kind,
            page=self._page(op, response_kind),
            operation_id=op.operation_id,
            renames={
                name: wire
                for wire, name in renamed.items()
                if wire not in (p.name for p in op.path_parameters)
            },
        )

    def _param_member(self, p: Parameter, name: str | None = None) -> str:
        doc = doc_comment(p.description, "  ")
        optional = "" if p.required else "?"
        key = name or property_key(p.name)
        return f"{doc}  {key}{optional}: {self.types.type(p.schema, '  ')};\n"

    def _renamed_fields(self, schema: Schema, fields: list[str], renamed: dict[str, str]) -> str:
        """``{ environmentId: VariableCreate["environment"] }``: body fields under SDK names."""
        whole = _group_type(self.types.type(schema))
        required = _required_fields(self.ir, schema)
        members = "".join(
            f"  /** Sent as `{wire}`. */\n"
            f"  {renamed[wire]}{'' if wire in required else '?'}: {whole}[{json.dumps(wire)}];\n"
            for wire in fields
        )
        return "{\n" + members + "}"

    def _response(self, op: Operation) -> tuple[str, str]:
        success = op.success
        if success is None or success.content_type is None:
            return "void", "none"
        media = success.content_type.split(";")[0].strip()
        if media == "text/event-stream":
            # The method returns an EventStream of each event's decoded ``data``.
            return (self.types.type(op.event_data) if op.event_data else "string"), "sse"
        if media.endswith("json"):
            schema = success.schema
            return (self.types.type(schema) if schema else "unknown"), "json"
        if media.startswith("text/"):
            return "string", "text"
        return "Blob", "blob"

    def _page(self, op: Operation, kind: str) -> PagePlan | None:
        pagination = op.pagination
        if pagination is None or kind != "json":
            return None
        item = self.types.type(pagination.item_schema) if pagination.item_schema else "unknown"
        cursor_field = ""
        if pagination.style == "cursor" and op.success is not None:
            target = _resolve(self.ir, op.success.schema)
            names = [p.name for p in target.properties] if target else []
            cursor_field = next((n for n in names if "cursor" in n), "next_cursor")
        return PagePlan(
            style=pagination.style,
            key=pagination.key,
            item_type=item,
            page_size=pagination.default_per_page,
            cursor_field=cursor_field,
        )

    def event_data(self, schema: Schema | None) -> str:
        """The ``data`` type of an event whose schema is either the data or the whole body."""
        if schema is None:
            return "unknown"
        target = _resolve(self.ir, schema)
        names = {p.name for p in target.properties} if target else set()
        if "data" in names and names & {"event", "type"}:
            return f'{_group_type(self.types.type(schema))}["data"]'
        return self.types.type(schema)

    def models(self) -> list[dict[str, str]]:
        result = []
        for named in self.ir.schemas:
            schema = named.schema
            doc = doc_comment(schema.description)
            extra = schema.additional_properties
            if (
                schema.kind == "object"
                and schema.properties
                and not isinstance(extra, Schema)
                and not schema.accepts_null
            ):
                body = self.types.members(schema, "  ")
                decl = f"export interface {named.model} {{\n{body}}}"
            else:
                decl = f"export type {named.model} = {self.types.type(schema)};"
            result.append({"name": named.model, "doc": doc, "decl": decl})
        return result

    def resources(self) -> list[dict[str, object]]:
        result = []
        for tag in self.ir.sdk_tags:
            resource = tag.operations[0].sdk.ts_resource
            methods = [self.method(op) for op in tag.operations]
            text = "\n".join(
                [
                    *(m.params_decl or "" for m in methods),
                    *(t for m in methods for _, t in m.path_args),
                    *(m.response_type for m in methods),
                    *(m.page.item_type for m in methods if m.page),
                ]
            )
            used = sorted(n.model for n in self.ir.schemas if _mentions(text, n.model))
            result.append(
                {
                    "tag": tag,
                    "property": resource,
                    "class_name": pascal(resource) + "Resource",
                    "module": snake(resource).replace("_", "-"),
                    "methods": methods,
                    "models": used,
                    "paginated": any(m.page for m in methods),
                    "streams": any(m.response_kind == "sse" for m in methods),
                    "form": any(m.body in ("form", "form-body") for m in methods),
                }
            )
        return result


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_$]){re.escape(name)}(?![A-Za-z0-9_$])", text) is not None


def _package_name(ir: ApiIR) -> str:
    return ir.sdk.npm_package


def auth_header(ir: ApiIR) -> tuple[str, str]:
    """The header (and value prefix) an API key travels in, from the security schemes."""
    for scheme in ir.security_schemes:
        if scheme.type == "http" and (scheme.scheme or "").lower() == "bearer":
            return "Authorization", "Bearer "
    for scheme in ir.security_schemes:
        if scheme.type == "apiKey" and scheme.location == "header" and scheme.header_name:
            if ir.sdk.credential_prefix:
                return scheme.header_name, ir.sdk.credential_prefix
            if scheme.header_name.lower() == "authorization":
                return "Authorization", "Token "
            return scheme.header_name, ""
    return "Authorization", "Bearer "


def _quickstart(ir: ApiIR) -> dict[str, str] | None:
    """The TypeScript spelling of the README program (:mod:`codegen.quickstart`)."""
    plan = quickstart(ir)
    if plan is None:
        return None
    size = {plan.page_size_param: 2} if plan.page_size_param else None
    return {
        "resource": plan.create.sdk.ts_resource,
        "create_call": f"{plan.create.sdk.ts_method}({ts_literal(dict(plan.fields))})",
        "list_call": f"{plan.list.sdk.ts_method}({ts_literal(size) if size else ''})",
        "get_call": f"{plan.get.sdk.ts_method}({json.dumps(plan.missing_id)})",
    }


def typescript_program(ir: ApiIR, templates: Path | None = None) -> str:
    """The program the README (and the reference's SDKs section) opens with."""
    env = environment("typescript", templates)
    return render(
        env,
        "_program.ts.j2",
        ir=ir,
        package=_package_name(ir),
        base_url_env_var=ir.sdk.env_var.removesuffix("_API_KEY") + "_BASE_URL",
        quickstart=_quickstart(ir),
    )


def generate_typescript(ir: ApiIR, templates: Path | None = None) -> dict[str, str]:
    """Every file of the TypeScript SDK package (relative path → text)."""
    sdk = TypeScriptSdk(ir)
    env = environment(
        "typescript",
        templates,
        {"json": lambda v: json.dumps(v, ensure_ascii=False), "ts": ts_literal},
    )
    header, scheme_prefix = auth_header(ir)
    resources = sdk.resources()
    context = {
        "ir": ir,
        "package": _package_name(ir),
        "version": _npm_version(ir.version),
        "auth_header": header,
        "auth_prefix": scheme_prefix,
        "credential_alias": (
            ts_identifier(ir.sdk.credential_alias) if ir.sdk.credential_alias else ""
        ),
        "base_url_env_var": ir.sdk.env_var.removesuffix("_API_KEY") + "_BASE_URL",
        "default_export": ir.sdk.ts_default_export,
        "cjs_entry": "require" if ir.sdk.ts_default_export else "index",
        "build_script": BUILD_SCRIPT,
        "program": typescript_program(ir, templates),
        "resources": resources,
        "models": sdk.models(),
        "events": [{"name": e.name, "data": sdk.event_data(e.schema)} for e in ir.webhooks],
        "event_models": sorted(
            n.model
            for n in ir.schemas
            if any(_mentions(sdk.event_data(e.schema), n.model) for e in ir.webhooks if e.schema)
        ),
    }
    files = {
        "package.json": render(env, "package.json.j2", **context),
        "tsconfig.json": render(env, "tsconfig.json.j2", **context),
        "tsconfig.cjs.json": render(env, "tsconfig.cjs.json.j2", **context),
        "README.md": render(env, "README.md.j2", **context),
        "src/index.ts": render(env, "index.ts.j2", **context),
        "src/core.ts": render(env, "core.ts.j2", **context),
        "src/errors.ts": render(env, "errors.ts.j2", **context),
        "src/pagination.ts": render(env, "pagination.ts.j2", **context),
        "src/webhooks.ts": render(env, "webhooks.ts.j2", **context),
        "src/models.ts": render(env, "models.ts.j2", **context),
        "src/client.ts": render(env, "client.ts.j2", **context),
    }
    if ir.sdk.ts_default_export:
        files["src/require.ts"] = render(env, "require.ts.j2", **context)
    for resource in resources:
        files[f"src/resources/{resource['module']}.ts"] = render(
            env, "resource.ts.j2", resource=resource, **context
        )
    return files


def _npm_version(version: str) -> str:
    """The spec's ``info.version`` when it is semver-shaped, else a fallback."""
    parts = version.split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return version
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return version + ".0"
    return SDK_VERSION_FALLBACK


__all__ = ["TypeScriptSdk", "auth_header", "generate_typescript"]
