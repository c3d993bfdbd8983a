"""The audit middleware: one row per audited call and per authentication failure.

Two pieces, because Connexion's security stage raises before anything after it runs:

- :class:`AuditMiddleware` sits after security and rate limiting, before request validation
  (``Stage.AUTHENTICATED``): it sees the principal, the body before validation (so rejected
  mutations are recorded too) and the outcome of every audited operation, raised errors
  included.
- :class:`AuthFailureAudit` sits just before security (``Stage.ROUTED``) and records the
  401/403s that security (or a handler of a non-audited operation) produced, unless the inner
  middleware already recorded the call.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from connexion.exceptions import ProblemException
from starlette.exceptions import HTTPException

from specway.errors import APIError, error_for_status
from specway.ids import new_sortable_id, utcnow
from specway.plugins.audit.plan import AuditPlan
from specway.plugins.audit.redact import redact
from specway.plugins.buffered_body import ClientDisconnected, read_body, replaying_receive
from specway.plugins.request_record import client_ip
from specway.principal import principal_from_scope, refused_principal
from specway.storage.outage import is_outage
from specway.types import (
    SCOPE_REQUEST_ID,
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    header,
    request_path,
)
from specway.types import operation_id as routed_operation

SCOPE_AUDITED = "specway.audit.recorded"
SCOPE_AUDIT_NOTE = "specway.audit.note"
AUTH_FAILURE_ACTIONS = {401: "auth.failed", 403: "auth.forbidden"}

_MAX_BODY_KEPT = 16 * 1024
_MAX_RESPONSE_SCANNED = 64 * 1024

Submit = Callable[[dict[str, Any]], bool]


def annotate(
    scope: Scope,
    *,
    target_type: str | None = None,
    target_id: str | None = None,
    organization_id: str | None = None,
    user_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Let a handler add to its call's audit row (details are redacted like everything else).

    E.g. a failed login names the account it tried: ``annotate(scope, user_id=user.id)``.
    """
    note: dict[str, Any] = scope.setdefault(SCOPE_AUDIT_NOTE, {})
    for key, value in (
        ("target_type", target_type),
        ("target_id", target_id),
        ("organization_id", organization_id),
        ("user_id", user_id),
    ):
        if value is not None:
            note[key] = value
    if details:
        note.setdefault("details", {}).update(details)


def status_of(exc: BaseException) -> int:
    """The status the errors plugin will render for ``exc`` (499 for a vanished client)."""
    if isinstance(exc, APIError):
        return exc.status
    if isinstance(exc, ProblemException):
        return int(exc.status or 500)
    if isinstance(exc, HTTPException):
        return int(exc.status_code)
    if isinstance(exc, asyncio.CancelledError | ClientDisconnected):
        return 499
    if is_outage(exc):
        return 503
    return 500


def error_code(exc: BaseException) -> str | None:
    """The envelope's error code for ``exc`` (``None`` for crashes and disconnects)."""
    if isinstance(exc, APIError):
        return exc.code
    if isinstance(exc, ProblemException | HTTPException):
        return error_for_status(status_of(exc)).code
    return None


def build_row(
    scope: Scope,
    *,
    action: str,
    target_type: str | None,
    target_id: str | None,
    status: int,
    details: dict[str, Any],
) -> dict[str, Any]:
    """The ``audit_logs`` row for this request (principal and note read from ``scope``).

    A 403 refusing a valid credential names that credential's principal as the actor.
    """
    principal = principal_from_scope(scope)
    if principal is None and status == 403:
        principal = refused_principal(scope)
    note: dict[str, Any] = scope.get(SCOPE_AUDIT_NOTE) or {}
    if note.get("details"):
        details = {**details, **note["details"]}
    query = scope.get("query_string") or b""
    if query:
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        details = {**details, "query": dict(pairs[:50])}
    agent = header(scope, b"user-agent")
    api_key_id = None
    if principal is not None:
        api_key_id = principal.key_id or (principal.id if principal.kind == "api_key" else None)
    return {
        "id": new_sortable_id("aud"),
        "timestamp": utcnow(),
        "organization_id": note.get("organization_id")
        or (principal.organization_id if principal else None),
        "action": action,
        "actor_type": principal.kind if principal else "anonymous",
        "user_id": note.get("user_id") or (principal.user_id if principal else None),
        "api_key_id": api_key_id,
        "ip_address": client_ip(scope)[:64] or None,
        "user_agent": agent.decode("latin-1")[:256] if agent else None,
        "operation_id": routed_operation(scope),
        "method": str(scope["method"]),
        "path": request_path(scope)[:1024],
        "target_type": note.get("target_type") or target_type,
        "target_id": _text(note.get("target_id") or target_id, 200),
        "status": status,
        "request_id": _text(scope.get(SCOPE_REQUEST_ID), 128),
        "details": redact(details),
    }


def _text(value: Any, limit: int) -> str | None:
    return None if value is None else str(value)[:limit]


class AuditMiddleware:
    """Records every call of an operation that has an :class:`AuditPlan`."""

    def __init__(self, app: ASGIApp, *, plans: dict[str, AuditPlan], submit: Submit) -> None:
        self.app = app
        self.plans = plans
        self.submit = submit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        op_id = routed_operation(scope) if scope["type"] == "http" else None
        plan = self.plans.get(op_id) if op_id else None
        # A sampled read outside the sample goes on unrecorded (x-specway-audit.sample_rate).
        if plan is None or (plan.sample_rate < 1.0 and random.random() >= plan.sample_rate):
            await self.app(scope, receive, send)
            return
        scope[SCOPE_AUDITED] = True
        details: dict[str, Any] = {}
        status = 500
        scanned: list[bytes] = []
        scanning = plan.id_from_response

        async def observe(message: Message) -> None:
            nonlocal status, scanning
            if message["type"] == "http.response.start":
                status = int(message["status"])
                scanning = scanning and status < 300
            elif message["type"] == "http.response.body" and scanning:
                scanned.append(bytes(message.get("body", b"")))
                scanning = sum(map(len, scanned)) <= _MAX_RESPONSE_SCANNED
            await send(message)

        if plan.keep_body:
            try:
                body = await read_body(receive)
            except ClientDisconnected:
                self._record(scope, plan, 499, details, None)
                return
            details.update(_body_details(plan, scope, body))
            receive = replaying_receive(body, receive)
        try:
            await self.app(scope, receive, observe)
        except BaseException as exc:
            status = status_of(exc)
            code = error_code(exc)
            if code:
                details["error"] = code
            self._record(scope, plan, status, details, None)
            raise
        target_id = _created_id(b"".join(scanned)) if scanned and scanning else None
        self._record(scope, plan, status, details, target_id)

    def _record(
        self,
        scope: Scope,
        plan: AuditPlan,
        status: int,
        details: dict[str, Any],
        created_id: str | None,
    ) -> None:
        params: dict[str, Any] = scope.get("path_params") or {}
        target_id = params.get(plan.target_param) if plan.target_param else created_id
        parents = {p: params[p] for p in plan.parent_params if p in params}
        if parents:
            details["parents"] = parents
        action = plan.action
        if status in AUTH_FAILURE_ACTIONS:
            details["attempted_action"] = action
            action = AUTH_FAILURE_ACTIONS[status]
        row = build_row(
            scope,
            action=action,
            target_type=plan.target_type,
            target_id=target_id,
            status=status,
            details=details,
        )
        self.submit(row)


def _body_details(plan: AuditPlan, scope: Scope, body: bytes) -> dict[str, Any]:
    """A redacted copy of a JSON body, or only its field names for secret-bearing operations."""
    if not body:
        return {}
    media = (header(scope, b"content-type") or b"").split(b";")[0].strip().lower()
    if not media.endswith(b"json"):
        return {"body_bytes": len(body)}
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {"body_bytes": len(body), "body_invalid": True}
    if plan.body_fields_only or len(body) > _MAX_BODY_KEPT:
        fields = sorted(str(k) for k in parsed)[:100] if isinstance(parsed, dict) else []
        return {"body_fields": fields}
    return {"body": parsed}


def _created_id(raw: bytes) -> str | None:
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    for candidate in (doc, doc.get("data") if isinstance(doc, dict) else None):
        if isinstance(candidate, dict) and isinstance(candidate.get("id"), str | int):
            return str(candidate["id"])
    return None


class AuthFailureAudit:
    """Records 401/403 answers to calls :class:`AuditMiddleware` did not record.

    ``plans`` holds a plan for every operation (audited or not), to name the attempted action.
    """

    def __init__(
        self, app: ASGIApp, *, plans: dict[str, AuditPlan], unknown: AuditPlan, submit: Submit
    ) -> None:
        self.app = app
        self.plans = plans
        self.unknown = unknown
        self.submit = submit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observe)
        except BaseException as exc:
            self._maybe_record(scope, status_of(exc), error_code(exc))
            raise
        self._maybe_record(scope, status, None)

    def _maybe_record(self, scope: Scope, status: int, code: str | None) -> None:
        if status not in AUTH_FAILURE_ACTIONS or scope.get(SCOPE_AUDITED):
            return
        op_id = routed_operation(scope)
        plan = self.plans.get(op_id, self.unknown) if op_id else self.unknown
        params: dict[str, Any] = scope.get("path_params") or {}
        details: dict[str, Any] = {"attempted_action": plan.action}
        if code:
            details["error"] = code
        target_id = params.get(plan.target_param) if plan.target_param else None
        row = build_row(
            scope,
            action=AUTH_FAILURE_ACTIONS[status],
            target_type=plan.target_type,
            target_id=target_id,
            status=status,
            details=details,
        )
        self.submit(row)
