"""``SpecModel``: the typed read of one OpenAPI document that runtime and codegen share.

Built once at startup (or once per codegen run); everything a request needs per operation is
looked up here by operationId, never in the raw document.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse

from specway.spec.dialect import is_oas31, webhooks_key
from specway.spec.extensions import (
    DOCUMENT_KEYS,
    DOCUMENT_ONLY_RATELIMIT_KEYS,
    OPERATION_KEYS,
    PATH_KEYS,
    AuthConfig,
    CorsConfig,
    EnvelopeConfig,
    ErrorsConfig,
    OperationRateLimit,
    PaginationConfig,
    RateLimitConfig,
    VersioningConfig,
    check_extensions,
    policy_set,
    read_envelope,
    read_policies,
)
from specway.spec.include import part_of
from specway.spec.layout import handlers_location
from specway.spec.loader import Document, include_parts, load_spec_document
from specway.spec.methods import HTTP_METHODS
from specway.spec.naming import snake
from specway.spec.plugin_checks import plugin_problems
from specway.spec.plugin_names import DEFAULT_PLUGINS as DEFAULT_PLUGINS
from specway.spec.problems import Level, Problem, SpecError, pointer
from specway.spec.scopes import ScopeSet, scope_set


@dataclass(frozen=True, slots=True)
class SecurityRequirement:
    """One alternative of an operation's ``security`` list: scheme name → scopes."""

    schemes: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(s for _, scopes in self.schemes for s in scopes)


@dataclass(frozen=True, slots=True)
class OperationModel:
    """One operation, with its extensions already merged document → path → operation."""

    operation_id: str
    method: str
    path: str
    tags: tuple[str, ...]
    summary: str
    description: str
    security: tuple[SecurityRequirement, ...]
    raw: dict[str, Any]
    ratelimit: OperationRateLimit
    pagination: PaginationConfig
    envelope: EnvelopeConfig
    paginated: bool
    idempotency: bool
    audit: str | None
    events: tuple[str, ...]
    handler_module: str
    handler_function: str

    @property
    def public(self) -> bool:
        return not self.security

    @property
    def scopes(self) -> frozenset[str]:
        """Scopes needed: those of the first alternative (our specs declare one)."""
        return self.security[0].scopes if self.security else frozenset()

    @property
    def mutating(self) -> bool:
        return self.method in ("post", "put", "patch", "delete")

    @property
    def pointer(self) -> str:
        return pointer("paths", self.path, self.method)


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """An event type from ``webhooks`` (3.1) or ``x-webhooks`` (3.0): its name and payload
    (``data``) schema."""

    name: str
    summary: str
    schema: dict[str, Any]


@dataclass(slots=True)
class SpecModel:
    """The typed view of a bundled OpenAPI document."""

    file: str
    document: Document
    title: str
    version: str
    base_path: str
    plugins: tuple[str, ...]
    # The handlers package (dotted) and the folder it is imported from (specway.spec.layout).
    handlers_root: str
    handlers_package: str
    # The project's migration folders, absolute (``x-specway-migrations``; default: the
    # ``migrations`` folder beside the spec). Each holds Alembic revisions in ``versions/``.
    migrations: tuple[str, ...]
    errors: ErrorsConfig
    pagination: PaginationConfig
    envelope: EnvelopeConfig
    ratelimit: RateLimitConfig
    auth: AuthConfig
    versioning: VersioningConfig | None = None
    # ``x-specway-cors``; ``None`` when the document does not declare it.
    cors: CorsConfig | None = None
    operations: dict[str, OperationModel] = field(default_factory=dict)
    webhook_events: dict[str, WebhookEvent] = field(default_factory=dict)
    security_schemes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The scope names keys can hold and each role's share (specway.spec.scopes).
    scopes: ScopeSet = field(default_factory=ScopeSet)

    def operation(self, operation_id: str) -> OperationModel:
        return self.operations[operation_id]

    def used_methods(self) -> tuple[str, ...]:
        """The HTTP methods (upper case, sorted) the operations use: what cross-origin callers
        may ask for when ``x-specway-cors.methods`` is unset."""
        used = {op.method.upper() for op in self.operations.values()} - {"OPTIONS", "TRACE"}
        return tuple(sorted(used)) or ("GET",)

    def resolve(self, node: Any) -> Any:
        """Follow one local ``$ref`` (if ``node`` is one) inside this document."""
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            target: Any = self.document
            for raw in ref.lstrip("#/").split("/"):
                target = target[raw.replace("~1", "/").replace("~0", "~")]
            node = target
        return node


def load_model(path: str | Path) -> SpecModel:
    """Load, bundle and read ``path``; raise :class:`SpecError` listing every error."""
    document = load_spec_document(path)
    model, problems = build_model(document, str(path))
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise SpecError(errors)
    return model


def _merge(*layers: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    return merged


def _migration_folders(file: str, declared: Any) -> tuple[str, ...]:
    """``x-specway-migrations`` (a path or a list of paths, relative to the spec's folder) as
    absolute folders; ``migrations`` beside the spec when it is not declared."""
    spec_dir = Path(file).resolve().parent if file else Path.cwd()
    if isinstance(declared, str):
        declared = [declared]
    if not isinstance(declared, list) or not declared:
        declared = ["migrations"]
    return tuple(str((spec_dir / str(folder)).resolve()) for folder in declared)


def build_model(document: Document, file: str = "") -> tuple[SpecModel, list[Problem]]:
    """Read ``document`` into a :class:`SpecModel`, collecting problems instead of raising.

    The parts ``x-specway-include`` names are merged into ``document`` first, if they are not
    already (a document from :func:`load_spec_document` has them; merging again is a no-op).
    """
    problems: list[Problem] = include_parts(document)
    problems += check_extensions(document, (), DOCUMENT_KEYS)
    problems += plugin_problems(document)
    info = document.get("info") or {}
    servers = document.get("servers") or [{"url": "/"}]
    base_path = urlparse(str(servers[0].get("url", "/"))).path.rstrip("/")
    rl_raw = document.get("x-specway-ratelimit") or {}
    policies, p = read_policies(
        rl_raw if isinstance(rl_raw.get("policies"), dict) else {}, ("x-specway-ratelimit",)
    )
    problems += p
    tiers = {}
    for tier, raw in (rl_raw.get("tiers") or {}).items():
        tiers[tier], p = policy_set(raw, policies, ("x-specway-ratelimit", "tiers", tier))
        problems += p
    if not tiers and policies and "tiers" not in rl_raw:
        tiers = {"default": tuple(policies.values())}
    default_tier = rl_raw.get("default_tier") or (next(iter(tiers)) if tiers else None)
    if "anonymous" in rl_raw:
        anonymous, p = policy_set(
            rl_raw.get("anonymous"), policies, ("x-specway-ratelimit", "anonymous"), key="ip"
        )
        problems += p
    else:
        anonymous = tuple(
            replace(policy, key="ip") if policy.key == "principal" else policy
            for policy in tiers.get(str(default_tier), ())
        )
    ratelimit = RateLimitConfig(
        policies=policies,
        tiers=tiers,
        default_tier=default_tier,
        anonymous=anonymous,
        failure=rl_raw.get("failure", "open"),
        reset="unix" if rl_raw.get("reset") == "unix" else "seconds",
        headers_policy=rl_raw.get("headers_policy"),
    )
    if ratelimit.default_tier and tiers and ratelimit.default_tier not in tiers:
        problems.append(
            Problem(
                pointer("x-specway-ratelimit", "default_tier"),
                f"unknown tier {ratelimit.default_tier!r}",
                "name one of the tiers",
            )
        )
    versioning, p = _versioning(document.get("x-specway-versioning"))
    problems += p
    pag_raw = document.get("x-specway-pagination") or {}
    declared_handlers = document.get("x-specway-handlers")
    handlers_root, handlers_package = handlers_location(
        file, declared_handlers if isinstance(declared_handlers, str) else None
    )
    model = SpecModel(
        file=file,
        document=document,
        title=str(info.get("title", "API")),
        version=str(info.get("version", "0")),
        base_path=base_path,
        plugins=tuple(document.get("x-specway-plugins") or DEFAULT_PLUGINS),
        handlers_root=str(handlers_root),
        handlers_package=handlers_package,
        migrations=_migration_folders(file, document.get("x-specway-migrations")),
        errors=ErrorsConfig(**(document.get("x-specway-errors") or {})),
        pagination=PaginationConfig(**pag_raw),
        envelope=read_envelope(document.get("x-specway-envelope")),
        ratelimit=ratelimit,
        auth=AuthConfig.of(document.get("x-specway-auth")),
        versioning=versioning,
        security_schemes=dict((document.get("components") or {}).get("securitySchemes") or {}),
        scopes=scope_set(document),
    )
    seen_ids: dict[str, str] = {}
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        problems += check_extensions(item, ("paths", path), PATH_KEYS)
        path_ext = {k: v for k, v in item.items() if k.startswith("x-specway-")}
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            at = ("paths", path, method)
            problems += check_extensions(op, at, OPERATION_KEYS)
            op_id = op.get("operationId")
            if not op_id:
                continue
            if op_id in seen_ids:
                problems.append(
                    Problem(
                        pointer(*at, "operationId"),
                        f"operationId {op_id!r} is used twice",
                        f"first used at {seen_ids[op_id]}; make it unique",
                    )
                )
                continue
            seen_ids[op_id] = pointer(*at)
            model.operations[op_id] = _operation(
                model, document, path, method, op, path_ext, problems
            )
    catalogue = document.get(webhooks_key(document))
    if catalogue is None and is_oas31(document):
        catalogue = document.get("x-webhooks")  # read, and flagged by lint (version_rules)
    for name, item in (catalogue or {}).items():
        post = (item or {}).get("post") or {}
        schema = (
            ((post.get("requestBody") or {}).get("content") or {}).get("application/json") or {}
        ).get("schema") or {}
        model.webhook_events[name] = WebhookEvent(
            name, str(post.get("summary", "")), cast(dict[str, Any], schema)
        )
    model.cors, p = _cors(model, document.get("x-specway-cors"))
    problems += p
    for op in model.operations.values():
        for event in op.events:
            if model.webhook_events and event not in model.webhook_events:
                problems.append(
                    Problem(
                        op.pointer + "/x-specway-events",
                        f"unknown event {event!r}",
                        f"declare it under {webhooks_key(document)}",
                    )
                )
        undeclared = model.scopes.unknown(s for r in op.security for s in r.scopes)
        if model.scopes.declared and undeclared:
            problems.append(
                Problem(
                    op.pointer + "/security",
                    f"scope {', '.join(undeclared)} is not in x-specway-auth.scopes",
                    f"use one of {model.scopes.listing()}, or declare it there",
                )
            )
    return model, [_with_file(p, file) for p in problems]


def _operation(
    model: SpecModel,
    document: Document,
    path: str,
    method: str,
    op: dict[str, Any],
    path_ext: dict[str, Any],
    problems: list[Problem],
) -> OperationModel:
    at = ("paths", path, method)
    ext = _merge(path_ext, {k: v for k, v in op.items() if k.startswith("x-specway-")})
    security_raw = op.get("security", document.get("security", []))
    security = tuple(
        SecurityRequirement(tuple((name, tuple(scopes or [])) for name, scopes in req.items()))
        for req in security_raw or []
        if req
    )
    rl = ext.get("x-specway-ratelimit") or {}
    op_policies: list[Any] = []
    names = rl.get("policies") or []
    if isinstance(names, list):
        found, p = _named_policies(model, names, (*at, "x-specway-ratelimit", "policies"))
        op_policies = list(found)
        problems.extend(p)
    elif isinstance(names, dict):
        problems.append(
            Problem(
                pointer(*at, "x-specway-ratelimit", "policies"),
                "an operation names its extra policies; it cannot define them",
                "declare them under the document's x-specway-ratelimit.policies and list "
                "their names here, e.g. policies: [login]",
            )
        )
    for key in DOCUMENT_ONLY_RATELIMIT_KEYS:
        if key in rl:
            problems.append(
                Problem(
                    pointer(*at, "x-specway-ratelimit", key),
                    f"x-specway-ratelimit.{key} is only read at document level",
                    "move it to the document's x-specway-ratelimit",
                )
            )
    ratelimit = OperationRateLimit(
        policies=tuple(op_policies),
        cost=rl.get("cost", 1),
        failure=rl.get("failure", model.ratelimit.failure),
        exempt=bool(rl.get("exempt", False)),
    )
    pag = _merge(
        {
            "style": model.pagination.style,
            "default_per_page": model.pagination.default_per_page,
            "max_per_page": model.pagination.max_per_page,
            "key": model.pagination.key,
            "links": model.pagination.links,
            "link_query": model.pagination.link_query,
        },
        ext.get("x-specway-pagination") or {},
    )
    tags = tuple(op.get("tags") or ["default"])
    op_id = str(op["operationId"])
    audit = ext.get("x-specway-audit")
    part = part_of(op)
    return OperationModel(
        operation_id=op_id,
        method=method,
        path=path,
        tags=tags,
        summary=str(op.get("summary", "")),
        description=str(op.get("description", "")),
        security=security,
        raw=op,
        ratelimit=ratelimit,
        pagination=PaginationConfig(**pag),
        envelope=read_envelope(ext.get("x-specway-envelope"), model.envelope),
        paginated=method == "get" and _has_page_parameter(model, path, op),
        idempotency=bool(ext.get("x-specway-idempotency", method == "post")),
        audit=None if audit is False else (audit or None),
        events=tuple(ext.get("x-specway-events") or ()),
        handler_module=part.handlers if part else f"{model.handlers_package}.{snake(tags[0])}",
        handler_function=snake(op_id),
    )


# Query parameters that make a GET a list operation (codegen reads lists the same way).
PAGE_PARAMETERS = ("page", "cursor")


def _has_page_parameter(model: SpecModel, path: str, op: dict[str, Any]) -> bool:
    item = (model.document.get("paths") or {}).get(path) or {}
    for raw in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
        param = model.resolve(raw)
        if (
            isinstance(param, dict)
            and param.get("in") == "query"
            and param.get("name") in PAGE_PARAMETERS
        ):
            return True
    return False


def _versioning(raw: Any) -> tuple[VersioningConfig | None, list[Problem]]:
    """``x-specway-versioning`` read (the schema has already checked its shape)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("vendor"), str):
        return None, []
    versions = tuple(str(v) for v in raw.get("versions") or ())
    if not versions:
        return None, []
    default = str(raw.get("default", versions[-1]))
    if default not in versions:
        return None, [
            Problem(
                pointer("x-specway-versioning", "default"),
                f"default version {default!r} is not one of versions {list(versions)}",
                f"use one of {', '.join(versions)} or add it to versions",
            )
        ]
    return VersioningConfig(raw["vendor"], versions, default), []


def _cors(model: SpecModel, raw: Any) -> tuple[CorsConfig | None, list[Problem]]:
    """``x-specway-cors`` read; unset methods default to those the document's operations use.

    ``credentials`` with the ``*`` origin is refused: the CORS protocol forbids answering a
    credentialed request with ``*``, and echoing every origin instead would hand any web page
    the user's cookies.
    """
    if raw is None:
        return None, []
    cors = CorsConfig.of(raw, model.used_methods())
    problems: list[Problem] = []
    if cors.credentials and "*" in cors.origins:
        problems.append(
            Problem(
                pointer("x-specway-cors", "origins", cors.origins.index("*")),
                "origin '*' cannot be combined with credentials: true",
                "list the origins (or patterns such as https://*.example.com) that may send "
                "credentials, or set credentials: false",
            )
        )
    if "cors" not in model.plugins:
        problems.append(
            Problem(
                pointer("x-specway-cors"),
                "x-specway-cors is set but the cors plugin does not run",
                "add cors to x-specway-plugins",
                Level.WARNING,
            )
        )
    return cors, problems


def _named_policies(
    model: SpecModel, names: list[Any], at: tuple[str | int, ...]
) -> tuple[tuple[Any, ...], list[Problem]]:
    return policy_set([str(n) for n in names], model.ratelimit.policies, at)


def _with_file(problem: Problem, file: str) -> Problem:
    return Problem(problem.pointer, problem.message, problem.fix, problem.level, file)
