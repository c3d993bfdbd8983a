"""A mock server for any spec: each operation answers with its documented example.

Like Prism's mock mode: routing, path parameters and request validation are the real ones
(an invalid request gets the spec's error envelope), and the answer is the operation's
documented response — the first 2xx unless the client asks otherwise with ``Prefer``:

- ``Prefer: code=404`` picks the response documented for that status (or ``default``);
- ``Prefer: example=staging`` picks a named entry of the media type's ``examples``.

The body is the media type's ``example``, else its first (or the preferred) ``examples`` entry,
else one built from the schema (its ``example``/``default``/``enum`` values, else a value of the
declared type). Error responses without an example are rendered in the spec's error envelope.
An operation with ``security`` answers 401 when no credential header is sent at all; nothing
is looked up or stored (the mock has no database tables).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
from connexion.context import request as connexion_request
from starlette.responses import Response

from specway.app import SpecwayApp, create_app, load_spec
from specway.errors import BadRequest, Unauthorized, error_for_status
from specway.plugins.errors.envelope import ErrorBody, error_document
from specway.settings import Settings
from specway.spec import OperationModel, SpecModel
from specway.types import SCOPE_REQUEST_ID

MOCK_PLUGINS = ("request_id", "errors")
_MAX_DEPTH = 8
_FORMAT_EXAMPLES = {
    "date-time": "2024-01-15T10:30:00Z",
    "date": "2024-01-15",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "203.0.113.1",
}


def parse_prefer(value: str) -> dict[str, str]:
    """``Prefer: code=404, example=staging`` as ``{"code": "404", "example": "staging"}``."""
    found: dict[str, str] = {}
    for part in re.split(r"[,;]", value):
        name, sep, raw = part.partition("=")
        if sep:
            found[name.strip().lower()] = raw.strip().strip('"')
    return found


def schema_example(model: SpecModel, schema: Any, depth: int = 0) -> Any:
    """A value for ``schema``: its own example/default/enum, else one of its type."""
    schema = model.resolve(schema)
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    for key in ("const", "example", "default"):
        if key in schema:
            return schema[key]
    examples = schema.get("examples")  # OpenAPI 3.1 (JSON Schema 2020-12): a list
    if isinstance(examples, list) and examples:
        return examples[0]
    if schema.get("enum"):
        return schema["enum"][0]
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = schema_example(model, part, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return schema_example(model, schema[key][0], depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1: the first type that is not null
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {name: schema_example(model, sub, depth + 1) for name, sub in props.items()}
    if kind == "array" and isinstance(schema.get("prefixItems"), list):
        return [schema_example(model, item, depth + 1) for item in schema["prefixItems"]]
    if kind == "array":
        return [schema_example(model, schema.get("items") or {}, depth + 1)]
    if kind == "string":
        return _FORMAT_EXAMPLES.get(str(schema.get("format")), "string")
    if kind == "integer":
        return int(schema.get("minimum", 0))
    if kind == "number":
        return float(schema.get("minimum", 0))
    if kind == "boolean":
        return True
    return None


class MockOperation:
    """The handler of one operation: picks the documented response and answers with it."""

    def __init__(self, model: SpecModel, op: OperationModel) -> None:
        self.model = model
        self.op = op
        self.responses: dict[str, Any] = {
            str(k): model.resolve(v) for k, v in (op.raw.get("responses") or {}).items()
        }

    async def respond(self) -> Response:
        """The documented answer to the current request."""
        headers = connexion_request.headers
        if self.op.security and not _has_credentials(self.model, self.op, headers):
            raise Unauthorized()
        prefer = parse_prefer(headers.get("prefer", ""))
        status, response = self.pick_response(prefer.get("code"))
        content: dict[str, Any] = response.get("content") or {}
        if not content or status == 204:
            return Response(status_code=status)
        media = _pick_media(content, headers.get("accept", ""))
        body = self.pick_body(status, content[media], prefer.get("example"))
        return Response(orjson.dumps(body), status_code=status, media_type=media)

    def pick_response(self, code: str | None) -> tuple[int, dict[str, Any]]:
        if code is not None:
            if not code.isdigit() or not 100 <= int(code) <= 599:
                raise BadRequest("Prefer: code must be an HTTP status", details={"code": code})
            if code in self.responses:
                return int(code), self.responses[code]
            if "default" in self.responses:
                return int(code), self.responses["default"]
            raise BadRequest(
                f"No response {code} is documented for {self.op.operation_id}",
                details={"documented": sorted(self.responses)},
            )
        numeric = sorted(k for k in self.responses if k.isdigit())
        chosen = next((k for k in numeric if k.startswith("2")), numeric[0] if numeric else None)
        if chosen is None:
            return 200, self.responses.get("default", {})
        return int(chosen), self.responses[chosen]

    def pick_body(self, status: int, media: dict[str, Any], name: str | None) -> Any:
        examples = {k: self.model.resolve(v) for k, v in (media.get("examples") or {}).items()}
        if name is not None:
            if name not in examples:
                raise BadRequest(
                    f"No example {name!r} is documented for this response",
                    details={"documented": sorted(examples)},
                )
            return examples[name].get("value")
        if "example" in media:
            return media["example"]
        if examples:
            return next(iter(examples.values())).get("value")
        if status >= 400:
            return self.error_body(status)
        return schema_example(self.model, media.get("schema") or {})

    def error_body(self, status: int) -> dict[str, Any]:
        """The spec's own envelope for ``status``, as the gateway would send it."""
        cls = error_for_status(status)
        request_id = str(connexion_request.scope.get(SCOPE_REQUEST_ID, ""))
        error = ErrorBody(status, cls.code, cls.default_message, None, request_id)
        return error_document(self.model.errors, error)


def _has_credentials(model: SpecModel, op: OperationModel, headers: Any) -> bool:
    """Any credential of a scheme the operation accepts is present (its value is not checked)."""
    for requirement in op.security:
        for name, _scopes in requirement.schemes:
            scheme = model.security_schemes.get(name) or {}
            where, key = scheme.get("in", "header"), scheme.get("name", "Authorization")
            if scheme.get("type") == "http":
                where, key = "header", "Authorization"
            if where == "header" and headers.get(str(key)):
                return True
            if where == "query" and connexion_request.query_params.get(str(key)):
                return True
            if where == "cookie" and connexion_request.cookies.get(str(key)):
                return True
    return False


def _pick_media(content: dict[str, Any], accept: str) -> str:
    wanted = [part.split(";")[0].strip().lower() for part in accept.split(",") if part.strip()]
    for media in wanted:
        if media in content:
            return media
    return "application/json" if "application/json" in content else next(iter(content))


def mock_handlers(model: SpecModel) -> dict[str, Callable[..., Any]]:
    """One handler per operationId, answering through its :class:`MockOperation`."""

    def handler(mock: MockOperation) -> Callable[..., Any]:
        # A plain coroutine function: Connexion awaits only what inspect says is async.
        async def answer(*args: Any, **kwargs: Any) -> Response:
            return await mock.respond()

        return answer

    return {op_id: handler(MockOperation(model, op)) for op_id, op in model.operations.items()}


def create_mock_app(spec_path: str | Path, settings: Settings | None = None) -> SpecwayApp:
    """The mock app for ``spec_path``: real routing and validation, documented answers.

    Runs without the spec's plugins (no keys, limits or storage); the database is an in-memory
    SQLite that is never migrated.
    """
    model = load_spec(spec_path)
    base = settings or Settings()
    settings = replace(
        base,
        spec_path=str(spec_path),
        database_url="sqlite+aiosqlite:///:memory:",
        auto_migrate=False,
        secret_key=base.secret_key or "specway-mock-has-no-secrets",
    )
    return create_app(
        spec_path,
        settings,
        handlers=mock_handlers(model),
        plugins=MOCK_PLUGINS,
        configure=lambda builder: builder.spec_overrides.append(_without_security),
    )


def _without_security(document: dict[str, Any]) -> None:
    """Connexion checks no credentials (there are no keys); each operation checks presence."""
    document.pop("security", None)
    for item in (document.get("paths") or {}).values():
        for op in item.values() if isinstance(item, dict) else ():
            if isinstance(op, dict):
                op.pop("security", None)
