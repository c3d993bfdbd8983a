"""What the outer observers (metrics, access log) learn about a request from the inner stages.

Connexion's routing stage hands a shallow *copy* of the scope to everything after it, so a key
set after routing (the operationId, the principal) is invisible to middleware outside Connexion.
An outer observer therefore puts one mutable :class:`RequestRecord` into the scope before calling
on; the copy shares the same object, and :class:`RecordProbe` (installed right after routing)
fills in the operationId and keeps a reference to the routed scope, where the auth stage leaves
the principal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from specway.builder import AppBuilder
from specway.principal import Principal, principal_from_scope
from specway.stages import Stage
from specway.types import SCOPE_CLIENT_IP, ASGIApp, Message, Receive, Scope, Send, operation_id

SCOPE_RECORD = "specway.record"


@dataclass(slots=True)
class RequestRecord:
    """One request as seen from outside Connexion; filled in as the request goes through."""

    started: float = field(default_factory=time.perf_counter)
    operation_id: str | None = None
    routed_scope: Scope | None = None
    status: int | None = None

    def principal(self) -> Principal | None:
        """The authenticated principal, once the auth stage has run (else ``None``)."""
        return principal_from_scope(self.routed_scope) if self.routed_scope is not None else None


def record_of(scope: Scope) -> RequestRecord:
    """The scope's record, created on first use (the outermost observer creates it)."""
    found = scope.get(SCOPE_RECORD)
    if isinstance(found, RequestRecord):
        return found
    record = RequestRecord()
    scope[SCOPE_RECORD] = record
    return record


def observe_status(record: RequestRecord, send: Send) -> Send:
    """``send``, also noting the response status in ``record`` (500 until a response starts)."""

    async def send_observed(message: Message) -> None:
        if message["type"] == "http.response.start":
            record.status = int(message["status"])
        await send(message)

    return send_observed


def final_status(record: RequestRecord) -> int:
    """The status the client saw; 500 when the app failed before starting a response."""
    return record.status if record.status is not None else 500


def client_ip(scope: Scope, record: RequestRecord | None = None) -> str:
    """The client address: the trusted-proxy result when a plugin set one, else the socket's."""
    for candidate in (record.routed_scope if record else None, scope):
        if candidate is not None and candidate.get(SCOPE_CLIENT_IP):
            return str(candidate[SCOPE_CLIENT_IP])
    client = scope.get("client")
    return str(client[0]) if client else ""


class RecordProbe:
    """Copies the routing result into the request's record (if an outer observer made one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        record = scope.get(SCOPE_RECORD)
        if isinstance(record, RequestRecord):
            record.operation_id = operation_id(scope)
            record.routed_scope = scope
        await self.app(scope, receive, send)


def install_probe(builder: AppBuilder) -> None:
    """Add :class:`RecordProbe` once, first among the middleware right after routing."""
    if any(spec.cls is RecordProbe for spec in builder.middlewares):
        return
    builder.add_middleware(RecordProbe, Stage.ROUTED)
