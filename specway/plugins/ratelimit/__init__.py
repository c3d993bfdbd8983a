"""The ``ratelimit`` plugin: the spec's ``x-specway-ratelimit`` policies, enforced per request.

Policies, tiers, the anonymous set, per-operation extra policies, costs and failure modes come
from the spec (see :mod:`spec.extensions`); :mod:`plugins.ratelimit.plan` compiles them per
operation at startup. Every request's policies are checked in one backend call: Redis (one Lua
script, shared by every process) when ``SPECWAY_REDIS_URL`` is set, else in process memory.
Headers: ``X-RateLimit-Limit/-Remaining/-Reset`` (seconds until reset, or the Unix time with
``reset: unix``) for the tightest policy, IETF ``RateLimit-Policy``/``RateLimit`` for all; 429
``rate_limited`` with ``Retry-After``. A credential the security stage refuses (401) is
charged to the operation's anonymous limits (:mod:`plugins.ratelimit.refused`).

Plugin configuration (``create_app(plugin_config={"ratelimit": {...}})``), all optional:
``breaker_failures`` (3) consecutive backend failures open the circuit, ``breaker_cooldown``
(1.0 s) between probes, ``backend`` a ready :class:`RateLimitBackend` (tests).

The service in ``state.services["ratelimit"]`` is the :class:`RateLimiter`; its ``stats``
(:class:`RateLimitStats`) are the counters for the metrics plugin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from specway.builder import AppBuilder
from specway.plugins.ratelimit.backends import PolicyCheck, RateLimitBackend, backend_for
from specway.plugins.ratelimit.backends.memory import MemoryBackend
from specway.plugins.ratelimit.breaker import CircuitBreaker, RateLimitStats
from specway.plugins.ratelimit.client_ip import ClientIPResolver
from specway.plugins.ratelimit.limiter import Outcome, RateLimiter
from specway.plugins.ratelimit.middleware import RateLimitHeadersMiddleware, RateLimitMiddleware
from specway.plugins.ratelimit.plan import OperationPlan, compile_plans
from specway.plugins.ratelimit.refused import RefusalCharger
from specway.settings import Settings
from specway.spec import SpecModel
from specway.stages import Stage

__all__ = [
    "CircuitBreaker",
    "ClientIPResolver",
    "MemoryBackend",
    "OperationPlan",
    "Outcome",
    "PolicyCheck",
    "RateLimitBackend",
    "RateLimitPlugin",
    "RateLimitStats",
    "RateLimiter",
    "RefusalCharger",
    "compile_plans",
]


class RateLimitPlugin:
    """Installs the limiter, its two middleware halves and its lifespan hooks."""

    name = "ratelimit"

    def __init__(
        self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings
    ) -> None:
        self.spec = spec_model
        self.settings = settings
        self.plans = compile_plans(spec_model)
        self.client_ip = ClientIPResolver(settings.trusted_proxies)
        given: RateLimitBackend | None = config.get("backend")
        backend = given if given is not None else backend_for(settings)
        stats = RateLimitStats()
        breaker = CircuitBreaker(
            stats,
            failures=int(config.get("breaker_failures", 3)),
            cooldown=float(config.get("breaker_cooldown", 1.0)),
            backend_name=backend.name,
        )
        self.limiter = RateLimiter(backend, stats=stats, breaker=breaker)

    def install(self, builder: AppBuilder) -> None:
        builder.state.services[self.name] = self.limiter
        if self.limiter.backend.name == "redis":
            builder.state.services.setdefault("health_checks", {})["redis"] = (
                self.limiter.backend.ping
            )
        # Outside the exception stage: it sees every response, the 401s the security stage
        # renders included.
        refusals = RefusalCharger(
            plans=self.plans,
            limiter=self.limiter,
            client_ip=self.client_ip,
            errors=self.spec.errors,
            key_prefix=self.settings.ratelimit_key_prefix,
            unix_reset=self.spec.ratelimit.reset == "unix",
        )
        builder.add_middleware(RateLimitHeadersMiddleware, Stage.RESPONSES, refusals=refusals)
        builder.add_middleware(
            RateLimitMiddleware,
            Stage.AUTHENTICATED,
            plans=self.plans,
            limiter=self.limiter,
            client_ip=self.client_ip,
            errors=self.spec.errors,
            key_prefix=self.settings.ratelimit_key_prefix,
            closed_retry_after=max(1, round(self.limiter.breaker.cooldown + 0.49)),
            unix_reset=self.spec.ratelimit.reset == "unix",
        )
        builder.on_startup(self.limiter.start)
        builder.on_shutdown(self.limiter.close)
