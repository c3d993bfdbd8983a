"""Parse stage for operations: parameters, bodies, responses, SDK names, tags and scopes."""

from __future__ import annotations

from typing import Any

from specway.codegen.examples import ExampleSynthesizer
from specway.codegen.ir import (
    Operation,
    OperationLimits,
    Pagination,
    Parameter,
    Policy,
    Property,
    RequestBody,
    Response,
    ResponseHeader,
    Schema,
    Scope,
    SecurityScheme,
    Tag,
)
from specway.codegen.naming import SdkMethod, python_identifier, resource_name, sdk_methods
from specway.codegen.schemas import SchemaReader
from specway.spec import OperationModel, Problem, SpecModel
from specway.spec.naming import snake
from specway.spec.problems import pointer

JSON_TYPES = ("application/json", "application/problem+json")
SCOPE_MEANINGS = {
    "read": "Read resources (every GET).",
    "write": "Create and update resources.",
    "delete": "Delete resources.",
    "admin": "Administrative access: keys, members, webhooks and audit logs.",
}
PAGE_PARAMS = ("page", "cursor")
_LIST_KEYS = {"page": "data", "meta": "data", "status-wrapped": "data", "drf": "results"}


def _slug(tag: str) -> str:
    return snake(tag).replace("_", "-") or "default"


def _status_key(status: str) -> tuple[int, str]:
    return (1 if status == "default" else 0, status)


class OperationReader:
    """Reads every operation of a model into IR operations grouped by tag."""

    def __init__(
        self,
        model: SpecModel,
        reader: SchemaReader,
        synth: ExampleSynthesizer,
        problems: list[Problem],
    ) -> None:
        self.model = model
        self.reader = reader
        self.synth = synth
        self.problems = problems

    def tags(self) -> tuple[Tag, ...]:
        """Tags in the document's ``tags`` order, then undeclared ones sorted."""
        model = self.model
        declared = [t for t in model.document.get("tags") or [] if isinstance(t, dict)]
        order = [str(t.get("name")) for t in declared]
        descriptions = {str(t.get("name")): str(t.get("description") or "") for t in declared}
        used = sorted({op.tags[0] for op in model.operations.values()} - set(order))
        names = [n for n in order if any(op.tags[0] == n for op in model.operations.values())]
        names += used
        self._check_resource_collisions(names)
        ops = model.operations.values()
        config = model.document.get("x-specway-sdk")
        placed = config.get("operations") if isinstance(config, dict) else None
        placed = placed if isinstance(placed, dict) else {}
        for op_id in sorted(set(placed) - {op.operation_id for op in ops}):
            self.problems.append(
                Problem(
                    pointer("x-specway-sdk", "operations", op_id),
                    f"no operation has the operationId {op_id!r}",
                    "name an operation of this document",
                )
            )
        overrides = {op_id: str(p["method"]) for op_id, p in placed.items() if "method" in p}
        methods = sdk_methods(
            [(op.operation_id, op.tags[0]) for op in ops],
            paths={op.operation_id: op.path for op in ops},
            overrides={
                **overrides,
                **{
                    op.operation_id: str(op.raw["x-specway-sdk-name"])
                    for op in ops
                    if isinstance(op.raw.get("x-specway-sdk-name"), str)
                },
            },
            placements={
                op_id: (str(p.get("resource") or ""), dict(p.get("arguments") or {}))
                for op_id, p in placed.items()
            },
        )
        by_resource: dict[tuple[str, str], list[str]] = {}
        for op_id, sdk in methods.items():
            by_resource.setdefault((sdk.resource, sdk.method), []).append(op_id)
        for (resource, method), op_ids in sorted(by_resource.items()):
            if len(op_ids) > 1:
                self.problems.append(
                    Problem(
                        model.operations[op_ids[1]].pointer + "/operationId",
                        f"operationIds {', '.join(repr(i) for i in op_ids)} collide after case "
                        f"conversion (all become client.{resource}.{method})",
                        "rename all but one",
                    )
                )
        tags = []
        for name in names:
            operations = tuple(
                self.operation(op, methods[op.operation_id])
                for op in model.operations.values()
                if op.tags[0] == name
            )
            tags.append(Tag(name, descriptions.get(name, ""), _slug(name), operations))
        return tuple(tags)

    def _check_resource_collisions(self, names: list[str]) -> None:
        by_resource: dict[str, list[str]] = {}
        for name in names:
            by_resource.setdefault(resource_name(name), []).append(name)
        for resource, tags in sorted(by_resource.items()):
            if len(tags) > 1:
                self.problems.append(
                    Problem(
                        "/tags",
                        f"tags {', '.join(repr(t) for t in tags)} collide after case conversion "
                        f"(all become client.{resource})",
                        "use one spelling of the tag",
                    )
                )

    def operation(self, op: OperationModel, sdk: SdkMethod) -> Operation:
        params = self.parameters(op)
        body = self.body(op)
        self._check_argument_collisions(op, params, body)
        responses = tuple(
            self.response(op, str(status), raw)
            for status, raw in sorted(
                (op.raw.get("responses") or {}).items(), key=lambda kv: _status_key(str(kv[0]))
            )
        )
        return Operation(
            operation_id=op.operation_id,
            method=op.method,
            path=op.path,
            tag=op.tags[0],
            summary=op.summary or op.operation_id,
            description=op.description.strip(),
            deprecated=bool(op.raw.get("deprecated", False)),
            parameters=params,
            body=body,
            responses=responses,
            scopes=tuple(sorted(op.scopes)),
            security=tuple(req.schemes for req in op.security),
            rate_limit=OperationLimits(
                policies=tuple(
                    Policy(p.name, p.limit, p.window, p.algorithm, p.key)
                    for p in op.ratelimit.policies
                ),
                cost=op.ratelimit.cost,
                exempt=op.ratelimit.exempt,
                failure=op.ratelimit.failure,
            ),
            pagination=self.pagination(op, params, responses),
            idempotent=op.idempotency and op.method in ("post", "patch"),
            events=op.events,
            audit=op.audit,
            sdk=sdk,
            pointer=op.pointer,
            event_data=self.event_data(op),
        )

    def event_data(self, op: OperationModel) -> Schema | None:
        """The schema ``x-specway-event-data`` names for each event's ``data``."""
        raw = op.raw.get("x-specway-event-data")
        if not isinstance(raw, dict):
            return None
        return self.reader.read(raw, op.pointer + pointer("x-specway-event-data"))

    def parameters(self, op: OperationModel) -> tuple[Parameter, ...]:
        path_item = (self.model.document.get("paths") or {}).get(op.path) or {}
        merged: dict[tuple[str, str], tuple[str, Any]] = {}
        for at, raws in (
            (pointer("paths", op.path, "parameters"), path_item.get("parameters") or []),
            (op.pointer + "/parameters", op.raw.get("parameters") or []),
        ):
            for i, raw in enumerate(raws):
                resolved = self.model.resolve(raw)
                if not isinstance(resolved, dict):
                    continue
                key = (str(resolved.get("name")), str(resolved.get("in")))
                merged[key] = (f"{at}/{i}", resolved)
        result = []
        order = {"path": 0, "query": 1, "header": 2, "cookie": 3}
        for (name, location), (at, raw) in sorted(
            merged.items(), key=lambda kv: order.get(kv[0][1], 4)
        ):
            schema = self.reader.read(raw.get("schema"), at + "/schema")
            if "example" in raw:
                example = raw["example"]
            elif isinstance(raw.get("examples"), dict) and raw["examples"]:
                first = self.model.resolve(next(iter(raw["examples"].values())))
                example = (first or {}).get("value")
            else:
                example = self.synth.example(schema, "request", name)
            result.append(
                Parameter(
                    name=name,
                    location=location,  # type: ignore[arg-type]
                    required=bool(raw.get("required", location == "path")),
                    description=str(raw.get("description") or "").strip(),
                    schema=schema,
                    example=example,
                    deprecated=bool(raw.get("deprecated", False)),
                    python_name=python_identifier(name),
                    ts_name=name,
                )
            )
        return tuple(result)

    def _check_argument_collisions(
        self, op: OperationModel, params: tuple[Parameter, ...], body: RequestBody | None
    ) -> None:
        seen: dict[str, str] = {}
        names = [(p.python_name, p.name) for p in params if p.location in ("path", "query")]
        target = self._resolve(body.schema) if body else None
        if target is not None and target.kind == "object":
            names += [(prop.python_name, prop.name) for prop in target.properties]
        for py, name in names:
            if py in seen and seen[py] != name:
                self.problems.append(
                    Problem(
                        op.pointer,
                        f"arguments {seen[py]!r} and {name!r} collide after case conversion "
                        f"(both become {py!r})",
                        "rename the parameter or the body property",
                    )
                )
            seen.setdefault(py, name)

    def _properties(self, schema: Schema) -> list[Property]:
        """An object's properties, ``allOf`` parts merged in order (a later one wins)."""
        target = self._resolve(schema)
        merged: list[Property] = []
        if target.kind == "all_of":
            for part in target.variants:
                merged += self._properties(part)
        return merged + list(target.properties)

    def _resolve(self, schema: Schema) -> Schema:
        seen: set[str] = set()
        while schema.kind == "ref" and schema.ref and schema.ref not in seen:
            seen.add(schema.ref)
            schema = self.synth.schemas[schema.ref]
        return schema

    def body(self, op: OperationModel) -> RequestBody | None:
        raw = self.model.resolve(op.raw.get("requestBody"))
        if not isinstance(raw, dict):
            return None
        content = raw.get("content") or {}
        if not content:
            return None
        media_type = next((m for m in JSON_TYPES if m in content), next(iter(content)))
        media = content[media_type] or {}
        at = op.pointer + pointer("requestBody", "content", media_type, "schema")
        schema = self.reader.read(media.get("schema"), at)
        return RequestBody(
            content_type=media_type,
            required=bool(raw.get("required", False)),
            description=str(raw.get("description") or "").strip(),
            schema=schema,
            example=self._media_example(media, schema, "request"),
            content_types=tuple(content),
        )

    def _media_example(self, media: dict[str, Any], schema: Schema, direction: Any) -> Any:
        if "example" in media:
            return media["example"]
        examples = media.get("examples")
        if isinstance(examples, dict) and examples:
            first = self.model.resolve(next(iter(examples.values())))
            if isinstance(first, dict) and "value" in first:
                return first["value"]
        return self.synth.example(schema, direction)

    def response(self, op: OperationModel, status: str, raw: Any) -> Response:
        resolved = self.model.resolve(raw) or {}
        content = resolved.get("content") or {}
        media_type = next((m for m in JSON_TYPES if m in content), next(iter(content), None))
        schema = None
        example = None
        if media_type is not None:
            media = content[media_type] or {}
            at = op.pointer + pointer("responses", status, "content", media_type, "schema")
            if "schema" in media:
                schema = self.reader.read(media["schema"], at)
                example = self._media_example(media, schema, "response")
        headers = tuple(
            ResponseHeader(
                name=str(name),
                description=str((self.model.resolve(h) or {}).get("description") or ""),
                schema=None,
            )
            for name, h in sorted((resolved.get("headers") or {}).items())
        )
        return Response(
            status=status,
            description=str(resolved.get("description") or "").strip(),
            content_type=media_type,
            schema=schema,
            example=example,
            headers=headers,
        )

    def pagination(
        self, op: OperationModel, params: tuple[Parameter, ...], responses: tuple[Response, ...]
    ) -> Pagination | None:
        if op.method != "get" or not any(
            p.location == "query" and p.name in PAGE_PARAMS for p in params
        ):
            return None
        style = op.pagination.style
        key = op.pagination.key if style == "keyed" else _LIST_KEYS.get(style, "data")
        item: Schema | None = None
        success = next((r for r in responses if r.status.startswith("2")), None)
        if success and success.schema:
            for prop in self._properties(success.schema):
                sub = self._resolve(prop.schema)
                if prop.name == key and sub.kind == "array":
                    item = sub.items
        return Pagination(
            style=style,
            default_per_page=op.pagination.default_per_page,
            max_per_page=op.pagination.max_per_page,
            key=key,
            item_schema=item,
        )


def security_schemes(model: SpecModel) -> tuple[SecurityScheme, ...]:
    """The document's security schemes with the header a client sends for each."""
    result = []
    prefix = model.auth.key_prefix
    for name, raw in model.security_schemes.items():
        raw = model.resolve(raw) or {}
        kind = str(raw.get("type", ""))
        scheme = str(raw["scheme"]) if "scheme" in raw else None
        header = str(raw["name"]) if "name" in raw else None
        description = str(raw.get("description") or "").strip()
        if kind == "http" and (scheme or "").lower() == "bearer":
            example = f"Authorization: Bearer {prefix}…"
        elif kind == "http" and (scheme or "").lower() == "basic":
            example = "Authorization: Basic <base64 of user:password>"
        elif kind == "apiKey" and header and header.lower() == "authorization":
            example = "Authorization: Token <40 hex characters>"
        elif kind == "apiKey":
            example = f"{header}: <key>" if raw.get("in") == "header" else f"?{header}=<key>"
        else:
            example = "Authorization: Bearer <token>"
        result.append(
            SecurityScheme(
                name=name,
                type=kind,
                scheme=scheme,
                location=str(raw["in"]) if "in" in raw else None,
                header_name=header,
                description=description,
                header_example=example,
            )
        )
    return tuple(result)


def collect_scopes(model: SpecModel, tags: tuple[Tag, ...]) -> tuple[Scope, ...]:
    """Every scope any operation requires, with the operations that need it."""
    declared: dict[str, str] = {}
    for raw in model.security_schemes.values():
        for flow in ((model.resolve(raw) or {}).get("flows") or {}).values():
            declared.update({str(k): str(v) for k, v in (flow.get("scopes") or {}).items()})
    users: dict[str, list[str]] = {}
    for tag in tags:
        for op in tag.operations:
            for scope in op.scopes:
                users.setdefault(scope, []).append(op.operation_id)
    order = list(SCOPE_MEANINGS)
    names = sorted(
        set(users) | set(declared),
        key=lambda s: (s not in order, order.index(s) if s in order else 0, s),
    )
    return tuple(
        Scope(
            name=name,
            description=declared.get(name) or SCOPE_MEANINGS.get(name, ""),
            operation_ids=tuple(users.get(name, ())),
        )
        for name in names
    )
