"""``IPAllowlistMiddleware``: 403 in the spec's envelope for a caller not on its list."""

from __future__ import annotations

from collections.abc import Mapping

from specway.plugins.api import (
    ASGIApp,
    Forbidden,
    Receive,
    Scope,
    Send,
    client_ip,
    counter,
    operation_id,
    principal,
    send_error,
)

from .allowlist import Allowlist

DENIED = counter(
    "specway_ipallow_denied",
    "Requests the IP allow-list refused, by the list that refused them.",
    ["list"],
)


class IPAllowlistMiddleware:
    """Runs at ``Stage.AUTHENTICATED``: the operation and the caller are known.

    ``rules`` holds each operation's compiled :class:`Allowlist` (planned at startup);
    ``fallback`` is the document's, for requests that matched no operation.
    """

    def __init__(
        self, app: ASGIApp, *, rules: Mapping[str, Allowlist], fallback: Allowlist
    ) -> None:
        self.app = app
        self.rules = rules
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        op = operation_id(scope)
        rule = self.rules.get(op, self.fallback) if op else self.fallback
        caller = principal(scope)
        ip = client_ip(scope)
        # account_id: a test-mode key's live organisation, so one list covers both modes.
        decision = rule.decide(ip, caller.account_id if caller else None)
        if decision.allowed:
            await self.app(scope, receive, send)
            return
        DENIED.labels(decision.list).inc()
        refusal = Forbidden(
            f"Requests from {ip or 'an unknown address'} are not allowed",
            code="ip_not_allowed",
            details={"ip": ip},
        )
        await send_error(scope, send, refusal)
