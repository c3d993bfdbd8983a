"""The rate-limit middleware (pure ASGI), after Connexion's routing and security.

Per request: the operation's precompiled plan, the caller (principal or client IP), the cost,
one backend call for every policy, then either the request goes on with the limit headers or a
429 leaves in the error envelope with ``Retry-After``. Backend failures follow the operation's
failure mode (``open``: on without headers; ``closed``: 503). Requests of operations without a
plan (exempt or unlimited), and non-HTTP scopes, pass through untouched.

The headers must also reach responses that inner stages raise as exceptions (400, 404, ...),
which Connexion renders *outside* this middleware. :class:`RateLimitHeadersMiddleware` therefore
sits outside Connexion's exception stage and puts a list into the scope; this middleware fills it
and the outer one stamps it on whatever response leaves. Without the outer one (tiny test apps)
this middleware adds the headers itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from specway.plugins.errors.envelope import ErrorBody, send_error
from specway.plugins.ratelimit.client_ip import ClientIPResolver
from specway.plugins.ratelimit.headers import Headers, limit_headers, retry_after, tightest
from specway.plugins.ratelimit.limiter import Outcome, RateLimiter
from specway.plugins.ratelimit.plan import OperationPlan, PolicySet
from specway.principal import principal_from_scope
from specway.spec import ErrorsConfig
from specway.types import (
    SCOPE_REQUEST_ID,
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    operation_id,
    stamping,
)

if TYPE_CHECKING:
    from specway.plugins.ratelimit.refused import RefusalCharger

SCOPE_HEADERS = "specway.ratelimit.headers"
# A list the outer half puts into the scope; the limiter appends each outcome's kind,
# so a later 401 is known to have been counted already (e.g. a login's wrong password).
SCOPE_DECIDED = "specway.ratelimit.decided"


class RateLimitHeadersMiddleware:
    """Outer half: stamps the headers the inner middleware decided on every response, and
    hands each 401 the inner half never saw (a refused credential) to ``refusals``, which may
    answer it with a 429 instead (:mod:`specway.plugins.ratelimit.refused`). One wrapper of
    ``send`` per request does both."""

    def __init__(self, app: ASGIApp, *, refusals: RefusalCharger | None = None) -> None:
        self.app = app
        self.refusals = refusals

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pending: Headers = []
        scope[SCOPE_HEADERS] = pending
        refusals = self.refusals
        if refusals is None:
            await self.app(scope, receive, stamping(send, pending))
            return
        # Connexion's routing writes the operation id into this dict (its scope copies share it).
        extensions: dict[str, Any] = scope.setdefault("extensions", {})
        decided: list[str] = []
        scope[SCOPE_DECIDED] = decided
        replaced = False

        async def reply(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return  # the 401's body, superseded by the 429 already sent
            if message["type"] == "http.response.start":
                # ``decided``: the inner half counted it (a handler's 401, a wrong password).
                if message.get("status") == 401 and not decided:
                    replaced = await refusals.over_budget(scope, extensions, send)
                    if replaced:
                        return
                if pending:
                    message["headers"] = [*message.get("headers", []), *pending]
            await send(message)

        await self.app(scope, receive, reply)


class RateLimitMiddleware:
    """Inner half: decides admission for operations with a plan."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        plans: dict[str, OperationPlan],
        limiter: RateLimiter,
        client_ip: ClientIPResolver,
        errors: ErrorsConfig,
        key_prefix: str,
        closed_retry_after: int = 1,
        unix_reset: bool = False,
    ) -> None:
        self.app = app
        self.plans = plans
        self.limiter = limiter
        self.client_ip = client_ip
        self.errors = errors
        self.key_prefix = key_prefix
        self.closed_retry_after = str(closed_retry_after)
        self.unix_reset = unix_reset

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ip = self.client_ip(scope)
        op_id = operation_id(scope)
        plan = self.plans.get(op_id) if op_id else None
        if plan is None:
            await self.app(scope, receive, send)
            return
        principal = principal_from_scope(scope)
        policy_set = plan.policy_set(principal)
        if not policy_set.policies:
            await self.app(scope, receive, send)
            return
        body: Any = None
        if plan.cost.needs_body or policy_set.needs_email:
            body, receive = await _read_json(receive)
        email = body.get("email") if isinstance(body, dict) else None
        cost = plan.cost.evaluate(scope, body)
        checks = policy_set.checks(
            self.key_prefix, principal, ip, email if isinstance(email, str) else None
        )
        outcome = await self.limiter.check(checks, policy_set.names, cost, plan.failure)
        decided = scope.get(SCOPE_DECIDED)
        if isinstance(decided, list):
            decided.append(outcome.kind)
        if outcome.kind == "failed_open":
            await self.app(scope, receive, send)
        elif outcome.kind == "failed_closed":
            await self._unavailable(scope, send)
        elif outcome.kind == "rejected":
            await self._reject(scope, send, policy_set, outcome, cost)
        else:
            headers = limit_headers(policy_set, outcome.verdicts, self.unix_reset)
            pending = scope.get(SCOPE_HEADERS)
            if isinstance(pending, list):
                pending.extend(headers)
                await self.app(scope, receive, send)
            else:
                await self.app(scope, receive, stamping(send, headers))

    async def _reject(
        self, scope: Scope, send: Send, policy_set: PolicySet, outcome: Outcome, cost: int
    ) -> None:
        await send_rejection(scope, send, self.errors, policy_set, outcome, cost, self.unix_reset)

    async def _unavailable(self, scope: Scope, send: Send) -> None:
        error = ErrorBody(
            503,
            "service_unavailable",
            "Rate limiting is temporarily unavailable; retry later",
            None,
            str(scope.get(SCOPE_REQUEST_ID, "")),
        )
        await send_error(send, self.errors, error, {"Retry-After": self.closed_retry_after})


async def send_rejection(
    scope: Scope,
    send: Send,
    errors: ErrorsConfig,
    policy_set: PolicySet,
    outcome: Outcome,
    cost: int,
    unix_reset: bool,
) -> None:
    """The 429 of a rejected ``outcome``: the limit headers, ``Retry-After`` and the envelope
    naming the tightest refusing policy."""
    headers = limit_headers(policy_set, outcome.verdicts, unix_reset)
    wait = retry_after(outcome.verdicts)
    policy = policy_set.policies[tightest(outcome.verdicts)]
    details: dict[str, Any] = {
        "policy": policy.name,
        "limit": policy.limit,
        "window": policy.window,
        "retry_after": wait,
    }
    if wait is None:
        message = (
            f"This request costs {cost} units; policy {policy.name!r} allows at most "
            f"{policy.limit} per {policy.window} s"
        )
        details["cost"] = cost
    else:
        message = (
            f"Rate limit exceeded: policy {policy.name!r} allows {policy.limit} requests "
            f"per {policy.window} s; retry in {wait} s"
        )
    error = ErrorBody(429, "rate_limited", message, details, str(scope.get(SCOPE_REQUEST_ID, "")))
    # Retry-After goes through send_error so retry_after_field can copy it into the body.
    retry = {"Retry-After": str(wait)} if wait is not None else None
    await send_error(stamping(send, headers), errors, error, retry)


async def _read_json(receive: Receive) -> tuple[Any, Receive]:
    """Read the whole body (its size is already capped by the errors plugin), parse it as JSON
    if it is JSON, and return a ``receive`` that replays it to the next stage."""
    chunks: list[bytes] = []
    tail: list[Message] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            tail.append(message)  # http.disconnect: hand it on after the body
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    queue: list[Message] = [{"type": "http.request", "body": body, "more_body": False}, *tail]

    async def replay() -> Message:
        if queue:
            return queue.pop(0)
        return await receive()

    try:
        document = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        document = None
    return document, replay
