"""``RateLimiter``: the service the middleware asks, with the breaker and failure modes.

It asks the backend (unless the circuit is open), counts every decision in
:class:`~plugins.ratelimit.breaker.RateLimitStats` and in ``specway_ratelimit_decisions``
(``allowed``; ``limited`` once per refusing policy; ``failed_open`` or ``failed_closed``), and
turns a backend failure into the operation's failure mode: ``open`` admits the request without
limit headers, ``closed`` refuses it with 503. Never an exception to the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from specway.errors import StorageError
from specway.plugins.metrics import counters
from specway.plugins.ratelimit.algorithms import Verdict
from specway.plugins.ratelimit.backends import PolicyCheck, RateLimitBackend
from specway.plugins.ratelimit.breaker import CircuitBreaker, RateLimitStats

logger = logging.getLogger("specway.ratelimit")

OutcomeKind = Literal["allowed", "rejected", "failed_open", "failed_closed"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one request: the kind and, when the backend answered, its verdicts."""

    kind: OutcomeKind
    verdicts: tuple[Verdict, ...] = ()

    @property
    def admitted(self) -> bool:
        return self.kind in ("allowed", "failed_open")


class RateLimiter:
    """Checks a request's policies on the backend, behind a circuit breaker."""

    def __init__(
        self,
        backend: RateLimitBackend,
        *,
        stats: RateLimitStats | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.backend = backend
        self.stats = stats or (breaker.stats if breaker else RateLimitStats())
        self.breaker = breaker or CircuitBreaker(self.stats, backend_name=backend.name)

    async def check(
        self,
        checks: Sequence[PolicyCheck],
        names: Sequence[str],
        cost: int,
        failure: Literal["open", "closed"],
    ) -> Outcome:
        """Check ``checks`` (named ``names``) for a request costing ``cost`` units."""
        if self.breaker.allow():
            try:
                verdicts = await self.backend.hit(checks, cost)
            except StorageError as exc:
                self.breaker.failure(str(exc))
                counters.backend_error(self.backend.name, "ratelimit")
            else:
                self.breaker.success()
                return self._decided(verdicts, names)
        if failure == "closed":
            self.stats.failed_closed += 1
            counters.ratelimit_decision("failed_closed")
            return Outcome("failed_closed")
        self.stats.failed_open += 1
        counters.ratelimit_decision("failed_open")
        return Outcome("failed_open")

    def _decided(self, verdicts: list[Verdict], names: Sequence[str]) -> Outcome:
        if all(v.allowed for v in verdicts):
            self.stats.allowed += 1
            counters.ratelimit_decision("allowed")
            return Outcome("allowed", tuple(verdicts))
        self.stats.rejected += 1
        for name, verdict in zip(names, verdicts, strict=True):
            if not verdict.allowed:
                by_policy = self.stats.rejected_by_policy
                by_policy[name] = by_policy.get(name, 0) + 1
                counters.ratelimit_decision("limited", name)
        return Outcome("rejected", tuple(verdicts))

    async def start(self) -> None:
        """Check the backend once at startup; a failure is logged, never fatal (fail modes)."""
        try:
            await self.backend.ping()
        except StorageError as exc:
            logger.warning("rate-limit %s not reachable at startup: %s", self.backend.name, exc)
            self.breaker.failure(str(exc))

    async def close(self) -> None:
        await self.backend.close()
