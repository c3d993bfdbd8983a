"""ASGI type aliases used across specway (the same shapes as Starlette's)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Keys specway puts into the ASGI scope. Top-level keys survive Connexion's scope copies.
SCOPE_STATE = "specway.app"
SCOPE_REQUEST_ID = "specway.request_id"
SCOPE_PRINCIPAL = "specway.principal"
# A valid credential that was refused (403): who it was, for the audit log only.
SCOPE_REFUSED_PRINCIPAL = "specway.principal.refused"
SCOPE_CLIENT_IP = "specway.client_ip"
# The request's JSON body as request validation parsed it (the handler gets it, unparsed again).
SCOPE_JSON_BODY = "specway.json_body"


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of request header ``name`` (lower-case bytes), or ``None``."""
    for key, value in scope.get("headers") or ():
        if key == name:
            return bytes(value)
    return None


def request_path(scope: Scope) -> str:
    """The path the client asked for, at any stage.

    Before routing, ``path`` is below ``root_path``; Starlette's ``Mount`` (Connexion routes
    the spec's base path through one) then moves the base path into ``root_path`` *and* keeps
    it in ``path``, on the same scope dict. Joining the two after routing would double the base
    path (``/v1/v1/projects``).
    """
    root = str(scope.get("root_path", ""))
    path = str(scope.get("path", ""))
    return path if not root or path.startswith(root + "/") or path == root else root + path


def operation_id(scope: Scope) -> str | None:
    """The operationId Connexion's routing stage matched, or ``None`` before/without a match."""
    routing = (scope.get("extensions") or {}).get("connexion_routing") or {}
    value = routing.get("operation_id")
    return str(value) if value else None


def stamping(send: Send, pending: list[tuple[bytes, bytes]]) -> Send:
    """``send`` that appends the headers in ``pending`` (as they are when the response starts)."""

    async def stamp(message: Message) -> None:
        if message["type"] == "http.response.start" and pending:
            message["headers"] = [*message.get("headers", []), *pending]
        await send(message)

    return stamp


_CONTENT_TYPE = (b"content-type", "content-type")


def header_content_type(
    headers: Iterable[tuple[bytes | str, Any]] | dict[str, Any],
) -> str | None:
    """The raw Content-Type of ``headers``: ASGI ``(bytes, bytes)`` pairs, or the ``str``
    headers a handler returns (a dict or pairs). Connexion's ``extract_content_type`` without
    the per-call ``typing`` constructions that make it cost ~10 us."""
    pairs = headers.items() if isinstance(headers, dict) else headers
    for key, value in pairs:
        if key.lower() in _CONTENT_TYPE:
            return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return None
