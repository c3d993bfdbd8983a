"""``RefusalCharger``: a 401 is an anonymous request, and pays like one.

The limiter proper (:class:`~specway.plugins.ratelimit.middleware.RateLimitMiddleware`) runs
after Connexion's security stage, so a request whose credential is refused never reached it:
a client could send invalid keys or session tokens as fast as the server answers, each one a
credential lookup (a database query on a cache miss), and none of them counted anywhere.

The limiter's outer half (``RateLimitHeadersMiddleware``) sits outside Connexion's exception
stage, where it sees the final status of every response, and asks this charger about each 401.
When an operation with a plan answers 401 before the limiter saw the request
(the security stage refused its credential), the request is charged to that
operation's anonymous policy set for the client IP (the budget callers without credentials
share). Within budget the 401 leaves unchanged; over budget the client gets the limiter's 429
(``Retry-After``, the limit headers, the envelope) instead, so guessing credentials is held to
the anonymous pace. The operation id comes from Connexion's routing, which writes it into the
``extensions`` dict the outer half puts into the scope beforehand (its scope copies share it).
A backend failure follows the operation's failure mode only as far as letting the 401 through:
a 401 is never turned into a 503.
"""

from __future__ import annotations

from typing import Any

from specway.plugins.ratelimit.client_ip import ClientIPResolver
from specway.plugins.ratelimit.limiter import RateLimiter
from specway.plugins.ratelimit.middleware import send_rejection
from specway.plugins.ratelimit.plan import OperationPlan
from specway.spec import ErrorsConfig
from specway.types import Scope, Send, operation_id


class RefusalCharger:
    """Charges a 401 to the anonymous limits of its operation; says when they are spent."""

    def __init__(
        self,
        *,
        plans: dict[str, OperationPlan],
        limiter: RateLimiter,
        client_ip: ClientIPResolver,
        errors: ErrorsConfig,
        key_prefix: str,
        unix_reset: bool = False,
    ) -> None:
        self.plans = plans
        self.limiter = limiter
        self.client_ip = client_ip
        self.errors = errors
        self.key_prefix = key_prefix
        self.unix_reset = unix_reset

    async def over_budget(self, scope: Scope, extensions: dict[str, Any], send: Send) -> bool:
        """Charge this 401; when the anonymous budget refuses it, send the 429 and say so."""
        op_id = operation_id({"extensions": extensions})
        plan = self.plans.get(op_id) if op_id else None
        if plan is None or not plan.anonymous.policies:
            return False
        policy_set = plan.anonymous
        checks = policy_set.checks(self.key_prefix, None, self.client_ip(scope), None)
        outcome = await self.limiter.check(checks, policy_set.names, 1, "open")
        if outcome.kind != "rejected":
            return False
        await send_rejection(scope, send, self.errors, policy_set, outcome, 1, self.unix_reset)
        return True
