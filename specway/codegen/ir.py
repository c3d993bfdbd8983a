"""The intermediate model: what every generator (docs, Python SDK, TypeScript SDK) renders.

Built once from a :class:`spec.SpecModel` by :func:`codegen.parse.build_ir`; frozen, ordered and
free of ``$ref``: named schemas are referenced by :attr:`Schema.ref` and looked up in
:attr:`ApiIR.schemas`, which is what lets recursive schemas be represented at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from specway.codegen.naming import SdkMethod, SdkNames, python_identifier, resource_name
from specway.spec.oas30_view import NULLABLE_MARK

SchemaKind = Literal[
    "object",
    "array",
    "string",
    "integer",
    "number",
    "boolean",
    "any",
    "ref",
    "one_of",
    "any_of",
    "all_of",
]
ParameterLocation = Literal["path", "query", "header", "cookie"]


@dataclass(frozen=True, slots=True)
class Constraints:
    """Validation keywords that examples and SDK types must respect."""

    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    multiple_of: float | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False
    min_properties: int | None = None
    max_properties: int | None = None


@dataclass(frozen=True, slots=True)
class Property:
    """One property of an object schema; ``required`` is about presence, not null."""

    name: str
    schema: Schema
    required: bool
    python_name: str
    ts_name: str


@dataclass(frozen=True, slots=True)
class Discriminator:
    property_name: str
    mapping: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Schema:
    """A schema with its ``$ref``s turned into named references.

    ``kind == "ref"`` points at ``ApiIR.schemas[ref]``; ``one_of``/``any_of``/``all_of`` keep
    their parts in ``variants``. ``nullable`` is OpenAPI 3.0's ``nullable: true``.
    """

    kind: SchemaKind
    pointer: str
    ref: str | None = None
    nullable: bool = False
    description: str = ""
    format: str | None = None
    enum: tuple[Any, ...] | None = None
    default: Any = None
    has_default: bool = False
    example: Any = None
    has_example: bool = False
    properties: tuple[Property, ...] = ()
    additional_properties: Schema | bool = True
    items: Schema | None = None
    variants: tuple[Schema, ...] = ()
    discriminator: Discriminator | None = None
    constraints: Constraints = field(default_factory=Constraints)
    read_only: bool = False
    write_only: bool = False
    deprecated: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def accepts_null(self) -> bool:
        """Whether ``null`` validates: OpenAPI 3.0.3 ties ``nullable`` to a sibling ``type``;
        an OpenAPI 3.1 ``anyOf``/``oneOf`` with a ``{type: "null"}`` alternative is marked
        ``x-specway-nullable`` by its 3.0 view (``specway.spec.oas30_view``)."""
        return self.nullable and ("type" in self.raw or self.raw.get(NULLABLE_MARK) is True)

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties if p.required)


@dataclass(frozen=True, slots=True)
class NamedSchema:
    """A component schema: ``name`` as in the spec, ``model`` as a class/type name."""

    name: str
    model: str
    schema: Schema
    example: Any


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: ParameterLocation
    required: bool
    description: str
    schema: Schema
    example: Any
    deprecated: bool
    python_name: str
    ts_name: str


@dataclass(frozen=True, slots=True)
class RequestBody:
    content_type: str
    required: bool
    description: str
    schema: Schema
    example: Any
    content_types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResponseHeader:
    name: str
    description: str
    schema: Schema | None


@dataclass(frozen=True, slots=True)
class Response:
    """One response of an operation; ``status`` is ``"200"``, ``"4XX"`` or ``"default"``."""

    status: str
    description: str
    content_type: str | None
    schema: Schema | None
    example: Any
    headers: tuple[ResponseHeader, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.status == "default" or self.status[0] in "45"

    @property
    def has_body(self) -> bool:
        return self.schema is not None


@dataclass(frozen=True, slots=True)
class Policy:
    """A rate-limit policy as the gateway enforces it."""

    name: str
    limit: int
    window: int
    algorithm: str
    key: str

    @property
    def window_text(self) -> str:
        return window_text(self.window)


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    policies: tuple[Policy, ...]
    default: bool


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Document-level rate limits (``x-specway-ratelimit``); ``enabled`` when enforced."""

    enabled: bool
    policies: tuple[Policy, ...]
    tiers: tuple[Tier, ...]
    anonymous: tuple[Policy, ...]
    failure: str
    reset: str = "seconds"  # X-RateLimit-Reset: seconds from now, or "unix" time


@dataclass(frozen=True, slots=True)
class OperationLimits:
    policies: tuple[Policy, ...]
    cost: int | str
    exempt: bool
    failure: str


@dataclass(frozen=True, slots=True)
class Pagination:
    """How a list operation pages: the style and its page-size bounds."""

    style: str
    default_per_page: int
    max_per_page: int
    key: str
    item_schema: Schema | None


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str
    path: str
    tag: str
    summary: str
    description: str
    deprecated: bool
    parameters: tuple[Parameter, ...]
    body: RequestBody | None
    responses: tuple[Response, ...]
    scopes: tuple[str, ...]
    security: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...]
    rate_limit: OperationLimits
    pagination: Pagination | None
    idempotent: bool
    events: tuple[str, ...]
    audit: str | None
    sdk: SdkMethod
    pointer: str
    # ``x-specway-event-data``: the schema of each server-sent event's ``data`` (JSON).
    event_data: Schema | None = None

    @property
    def streams(self) -> bool:
        """Whether the success response is a stream of server-sent events."""
        success = self.success
        return success is not None and (success.content_type or "").startswith("text/event-stream")

    @property
    def public(self) -> bool:
        return not self.security

    @property
    def anchor(self) -> str:
        return self.operation_id

    @property
    def path_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "path")

    @property
    def query_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "query")

    @property
    def success(self) -> Response | None:
        """The first 2xx response (the one an SDK method returns)."""
        return next((r for r in self.responses if r.status.startswith("2")), None)


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    description: str
    slug: str
    operations: tuple[Operation, ...]


@dataclass(frozen=True, slots=True)
class SecurityScheme:
    """A security scheme; ``header_example`` is what a client sends."""

    name: str
    type: str
    scheme: str | None
    location: str | None
    header_name: str | None
    description: str
    header_example: str


@dataclass(frozen=True, slots=True)
class Scope:
    name: str
    description: str
    operation_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: str
    status: int | None
    meaning: str


@dataclass(frozen=True, slots=True)
class Errors:
    """The error envelope: style, media type, an example and every code with its status."""

    style: str
    code_case: str
    media_type: str
    example: dict[str, Any]
    codes: tuple[ErrorCode, ...]
    schema: str | None
    renames: tuple[tuple[str, str], ...] = ()  # x-specway-errors.codes: gateway code → sent code
    retry_after_field: bool = False


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """An ``x-webhooks`` event; ``payload_example`` is the whole delivered body."""

    name: str
    summary: str
    description: str
    schema: Schema | None
    payload_example: dict[str, Any]
    anchor: str


@dataclass(frozen=True, slots=True)
class Server:
    url: str
    description: str


@dataclass(frozen=True, slots=True)
class ApiIR:
    """Everything a generator needs, ordered deterministically."""

    title: str
    version: str
    description: str
    servers: tuple[Server, ...]
    base_url: str
    version_prefix: str | None
    # Accept media types that choose a version (x-specway-versioning), the default first.
    media_versions: tuple[str, ...]
    tags: tuple[Tag, ...]
    schemas: tuple[NamedSchema, ...]
    security_schemes: tuple[SecurityScheme, ...]
    scopes: tuple[Scope, ...]
    rate_limits: RateLimits
    errors: Errors
    pagination: Pagination
    webhooks: tuple[WebhookEvent, ...]
    sdk: SdkNames
    key_prefix: str
    plugins: tuple[str, ...]

    @property
    def operations(self) -> tuple[Operation, ...]:
        return tuple(op for tag in self.tags for op in tag.operations)

    @property
    def sdk_tags(self) -> tuple[Tag, ...]:
        """The SDK clients' resources: the tags, with the operations ``x-specway-sdk`` puts on
        another resource (``client.environments.variables``) moved to that resource's tag."""
        named = {python_identifier(resource_name(tag.name)): tag for tag in self.tags}
        grouped: dict[str, list[Operation]] = {}
        for op in self.operations:
            grouped.setdefault(op.sdk.resource, []).append(op)
        result = []
        for resource, operations in grouped.items():
            tag = named.get(resource)
            if tag is None:
                tag = Tag(resource, "", resource.replace("_", "-"), ())
            result.append(Tag(tag.name, tag.description, tag.slug, tuple(operations)))
        return tuple(result)

    def schema(self, name: str) -> NamedSchema:
        for named in self.schemas:
            if named.name == name:
                return named
        raise KeyError(name)


def window_text(seconds: int) -> str:
    """``60`` → ``minute``, ``3600`` → ``hour``, ``300`` → ``5 minutes``."""
    units = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))
    for unit, size in units:
        if seconds % size == 0:
            count = seconds // size
            return unit if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"  # pragma: no cover - the loop always matches at "second"
