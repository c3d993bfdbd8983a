"""Parse stage: a :class:`spec.SpecModel` (plus its document) → :class:`codegen.ir.ApiIR`.

Nothing here raises on the first problem: every problem is collected with its JSON pointer and
:func:`build_ir` raises one :class:`CodegenError` listing them all, before anything is written.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from specway.codegen.envelope import error_codes, error_example, error_media_type, field_details
from specway.codegen.examples import ExampleSynthesizer
from specway.codegen.ir import (
    ApiIR,
    Errors,
    NamedSchema,
    Pagination,
    Policy,
    RateLimits,
    Schema,
    Server,
    Tier,
)
from specway.codegen.naming import SdkNames, model_name
from specway.codegen.operations import OperationReader, collect_scopes, security_schemes
from specway.codegen.schemas import SchemaReader, unrenderable_cycles
from specway.codegen.webhooks import read_webhooks
from specway.spec import Problem, SpecError, SpecModel, build_model, load_spec_document
from specway.spec.dialect import is_oas31
from specway.spec.extensions import RateLimitPolicy
from specway.spec.methods import HTTP_METHODS
from specway.spec.oas30_view import as_openapi30
from specway.spec.problems import pointer

_VERSION_SEGMENT = re.compile(r"^v\d+$")


class CodegenError(SpecError):
    """The spec cannot be turned into code or docs; ``problems`` lists every reason."""


def load_ir(path: str | Path) -> ApiIR:
    """Load, bundle and parse the spec at ``path``; raise :class:`CodegenError` on problems."""
    try:
        document = load_spec_document(path)
    except SpecError as exc:
        raise CodegenError(exc.problems) from None
    model, problems = build_model(document, str(path))
    errors = [p for p in problems if p.level == "error"]
    return build_ir(model, errors)


def build_ir(model: SpecModel, problems: list[Problem] | None = None) -> ApiIR:
    """The IR of ``model``; raises :class:`CodegenError` listing every problem found."""
    problems = list(problems or [])
    if is_oas31(model.document):
        model = _as_oas30(model)
    found: list[Problem] = []
    document = model.document
    reader = SchemaReader(document, found)
    raw_components: dict[str, Any] = (document.get("components") or {}).get("schemas") or {}
    component_schemas = {
        name: reader.read(raw, pointer("components", "schemas", name))
        for name, raw in raw_components.items()
    }
    found += unrenderable_cycles(component_schemas)
    found += _model_name_collisions(raw_components)
    found += _missing_operation_ids(document)
    synth = ExampleSynthesizer(component_schemas, raw_components)
    schemas = tuple(
        NamedSchema(
            name=name,
            model=model_name(name),
            schema=schema,
            example=synth.example(schema, "response"),
        )
        for name, schema in sorted(component_schemas.items())
    )
    policies = {name: _policy(p) for name, p in model.ratelimit.policies.items()}
    ops = OperationReader(model, reader, synth, found)
    tags = ops.tags()
    pagination = Pagination(
        style=model.pagination.style,
        default_per_page=model.pagination.default_per_page,
        max_per_page=model.pagination.max_per_page,
        key=model.pagination.key,
        item_schema=None,
    )
    ir = ApiIR(
        title=model.title,
        version=model.version,
        description=str((document.get("info") or {}).get("description") or "").strip(),
        servers=_servers(document),
        base_url=_base_url(document),
        version_prefix=_version_prefix(model),
        media_versions=_media_versions(model),
        tags=tags,
        schemas=schemas,
        security_schemes=security_schemes(model),
        scopes=collect_scopes(model, tags),
        rate_limits=RateLimits(
            enabled="ratelimit" in model.plugins,
            policies=tuple(policies.values()),
            tiers=tuple(
                Tier(name, tuple(_policy(p) for p in tier), name == model.ratelimit.default_tier)
                for name, tier in model.ratelimit.tiers.items()
            ),
            anonymous=tuple(_policy(p) for p in model.ratelimit.anonymous),
            failure=model.ratelimit.failure,
            reset=model.ratelimit.reset,
        ),
        errors=_errors(model, component_schemas),
        pagination=pagination,
        webhooks=read_webhooks(model, reader, synth),
        sdk=SdkNames.from_document(model.title, model.document.get("x-specway-sdk")),
        key_prefix=model.auth.key_prefix,
        plugins=model.plugins,
    )
    problems += found
    if problems:
        raise CodegenError(_sorted_unique(problems, model.file))
    return ir


def _as_oas30(model: SpecModel) -> SpecModel:
    """An OpenAPI 3.1 model read through the document's 3.0 view: the IR gets ``nullable`` for
    a type array with ``null``, a one-value ``enum`` (a literal type) for ``const``, ``anyOf``
    for several types, and the events of ``webhooks`` (``specway.spec.oas30_view``)."""
    view, _ = build_model(as_openapi30(model.document), model.file)
    return replace(view, plugins=model.plugins)


def _policy(p: RateLimitPolicy) -> Policy:
    return Policy(p.name, p.limit, p.window, p.algorithm, p.key)


def _sorted_unique(problems: list[Problem], file: str) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    result = []
    for p in problems:
        if (p.pointer, p.message) in seen:
            continue
        seen.add((p.pointer, p.message))
        result.append(p if p.file else Problem(p.pointer, p.message, p.fix, p.level, file))
    return sorted(result, key=lambda p: (p.pointer, p.message))


def _model_name_collisions(raw: Mapping[str, Any]) -> list[Problem]:
    by_model: dict[str, list[str]] = {}
    for name in raw:
        by_model.setdefault(model_name(name), []).append(name)
    return [
        Problem(
            pointer("components", "schemas", names[1]),
            f"schemas {', '.join(repr(n) for n in names)} collide after case conversion "
            f"(all become {model!r})",
            "rename all but one",
        )
        for model, names in sorted(by_model.items())
        if len(names) > 1
    ]


def _missing_operation_ids(document: Mapping[str, Any]) -> list[Problem]:
    problems = []
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, dict) and not op.get("operationId"):
                problems.append(
                    Problem(
                        pointer("paths", path, method),
                        "operation has no operationId",
                        "add a unique operationId such as listProjects; SDK method names "
                        "derive from it",
                    )
                )
    return problems


def _servers(document: Mapping[str, Any]) -> tuple[Server, ...]:
    servers = document.get("servers") or [{"url": "/"}]
    return tuple(
        Server(str(s.get("url", "/")), str(s.get("description") or ""))
        for s in servers
        if isinstance(s, dict)
    )


def _base_url(document: Mapping[str, Any]) -> str:
    url = str(((document.get("servers") or [{}])[0] or {}).get("url") or "/")
    if not urlparse(url).scheme:
        url = "http://localhost:8000" + ("" if url.startswith("/") else "/") + url
    return url.rstrip("/")


def _media_versions(model: SpecModel) -> tuple[str, ...]:
    """``x-specway-versioning``'s media types, the default first (empty without it)."""
    cfg = model.versioning
    if cfg is None:
        return ()
    ordered = [cfg.default, *(v for v in cfg.versions if v != cfg.default)]
    return tuple(cfg.media_type(v) for v in ordered)


def _version_prefix(model: SpecModel) -> str | None:
    segments = Counter(
        op.path.strip("/").split("/")[0]
        for op in model.operations.values()
        if _VERSION_SEGMENT.match(op.path.strip("/").split("/")[0])
    )
    if segments:
        return segments.most_common(1)[0][0]
    last = model.base_path.rstrip("/").rsplit("/", 1)[-1]
    return last if _VERSION_SEGMENT.match(last) else None


def _error_schema_codes(schema: Schema | None, schemas: Mapping[str, Schema]) -> list[str]:
    """The ``enum`` of a ``code`` property at most two objects deep."""

    def find(node: Schema | None, depth: int) -> list[str]:
        if node is None or depth > 2:
            return []
        if node.kind == "ref" and node.ref:
            return find(schemas.get(node.ref), depth)
        for prop in node.properties:
            if prop.name == "code":
                target = schemas.get(prop.schema.ref or "") if prop.schema.ref else prop.schema
                if target and target.enum:
                    return [str(v) for v in target.enum]
        for prop in node.properties:
            codes = find(prop.schema, depth + 1)
            if codes:
                return codes
        return []

    return find(schema, 0)


def _json_schema_ref(model: SpecModel, response: Any) -> str | None:
    """The component schema name of a response's JSON (or problem+json) body, if any."""
    content = (model.resolve(response) or {}).get("content") or {}
    media = content.get("application/json") or content.get("application/problem+json") or {}
    ref = (media.get("schema") or {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _errors(model: SpecModel, schemas: Mapping[str, Schema]) -> Errors:
    document = model.document
    responses = (document.get("components") or {}).get("responses") or {}
    meanings: dict[int, str] = {}
    candidates: list[Any] = []  # error responses of operations first, then shared ones
    for path_item in (document.get("paths") or {}).values():
        for method in HTTP_METHODS:
            op = (path_item or {}).get(method) if isinstance(path_item, dict) else None
            for status, resp in ((op or {}).get("responses") or {}).items():
                status = str(status)
                if status == "default" or status[0] in "45":
                    candidates.append(resp)
                if status.isdigit() and status[0] in "45":
                    text = str((model.resolve(resp) or {}).get("description") or "")
                    meanings.setdefault(int(status), text)
    candidates += list(responses.values())
    names = (_json_schema_ref(model, response) for response in candidates)
    error_schema_name = next((name for name in names if name in schemas), None)
    error_schema = schemas[error_schema_name] if error_schema_name else None
    declared = _error_schema_codes(error_schema, schemas)
    cfg = model.errors
    renames = tuple(sorted(cfg.codes.items()))
    return Errors(
        style=cfg.style,
        code_case=cfg.code_case,
        media_type=error_media_type(cfg.style),
        example=error_example(
            cfg.style,
            cfg.code_case,
            400,
            "invalid_request",
            cfg.validation_message.replace("{field}", "name").replace("{reason}", "required"),
            field_details(
                cfg.field_details,
                [{"field": "name", "in": "body", "reason": "required"}],
                cfg.field_reasons,
            ),
            renames=renames,
        ),
        codes=error_codes(declared, meanings, renames),
        schema=error_schema_name,
        renames=renames,
        retry_after_field=cfg.retry_after_field,
    )
