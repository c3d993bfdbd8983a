"""A circuit breaker for the rate-limit backend, and the counters the metrics plugin reads.

``closed``: every request asks the backend. After ``failures`` consecutive failures the breaker
``open``s: requests get the failure mode at once instead of each waiting for a dead Redis to time
out. After ``cooldown`` seconds one request is let through as a probe (``half_open``); its
success closes the breaker, its failure opens it for another cooldown. Each transition is
counted; opening and closing are logged once per outage (re-opening after a failed probe is the
same outage and is logged at debug level only).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

logger = logging.getLogger("specway.ratelimit")

BreakerState = Literal["closed", "open", "half_open"]


@dataclass(slots=True)
class RateLimitStats:
    """Counters of the limiter's decisions and of the backend's health, for ``/metrics``."""

    allowed: int = 0
    rejected: int = 0
    failed_open: int = 0
    failed_closed: int = 0
    backend_errors: int = 0
    breaker_opened: int = 0
    breaker_half_opened: int = 0
    breaker_closed: int = 0
    rejected_by_policy: dict[str, int] = field(default_factory=dict)
    breaker_state: BreakerState = "closed"

    def snapshot(self) -> dict[str, object]:
        """A plain copy, e.g. for a metrics collector or a test."""
        return {
            "allowed": self.allowed,
            "rejected": self.rejected,
            "failed_open": self.failed_open,
            "failed_closed": self.failed_closed,
            "backend_errors": self.backend_errors,
            "breaker_opened": self.breaker_opened,
            "breaker_half_opened": self.breaker_half_opened,
            "breaker_closed": self.breaker_closed,
            "rejected_by_policy": dict(self.rejected_by_policy),
            "breaker_state": self.breaker_state,
        }


class CircuitBreaker:
    """Decides whether the backend is asked; fed with each call's success or failure."""

    def __init__(
        self,
        stats: RateLimitStats,
        *,
        failures: int = 3,
        cooldown: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        backend_name: str = "backend",
    ) -> None:
        self.stats = stats
        self.threshold = max(1, failures)
        self.cooldown = cooldown
        self.clock = clock
        self.backend_name = backend_name
        self._consecutive = 0
        self._opened_at = 0.0
        self._probing = False
        self._probe_started = 0.0

    @property
    def state(self) -> BreakerState:
        return self.stats.breaker_state

    def allow(self) -> bool:
        """Whether this request may ask the backend (at most one probe while half-open)."""
        state = self.stats.breaker_state
        if state == "closed":
            return True
        if state == "open":
            if self.clock() - self._opened_at < self.cooldown:
                return False
            self.stats.breaker_state = "half_open"
            self.stats.breaker_half_opened += 1
            logger.debug("rate-limit %s: circuit half-open, probing", self.backend_name)
        now = self.clock()
        # A probe that never reported back (its request was cancelled) expires after a cooldown.
        if self._probing and now - self._probe_started < self.cooldown:
            return False
        self._probing = True
        self._probe_started = now
        return True

    def success(self) -> None:
        self._consecutive = 0
        if self.stats.breaker_state != "closed":
            self._probing = False
            self.stats.breaker_state = "closed"
            self.stats.breaker_closed += 1
            logger.warning("rate-limit %s is back: circuit closed", self.backend_name)

    def failure(self, reason: str) -> None:
        self.stats.backend_errors += 1
        self._consecutive += 1
        state = self.stats.breaker_state
        if state == "half_open":
            self._probing = False
            self._open()
            logger.debug("rate-limit %s: probe failed (%s)", self.backend_name, reason)
        elif state == "closed" and self._consecutive >= self.threshold:
            self._open()
            logger.warning(
                "rate-limit %s unavailable (%s): circuit open, applying the failure mode; "
                "probing every %.2f s",
                self.backend_name,
                reason,
                self.cooldown,
            )

    def _open(self) -> None:
        self.stats.breaker_state = "open"
        self.stats.breaker_opened += 1
        self._opened_at = self.clock()
