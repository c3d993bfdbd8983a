"""Rate-limit backends: one :class:`RateLimitBackend` protocol, implementations side by side.

``memory`` (:class:`~plugins.ratelimit.backends.memory.MemoryBackend`) is the embedded default
and the test double: one process, the same algorithms. ``redis``
(:class:`~plugins.ratelimit.backends.redis.RedisBackend`) shares limits between every process
and host through one Lua script per request. :func:`backend_for` picks one from the settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from specway.plugins.ratelimit.algorithms import Verdict
from specway.settings import Settings


@dataclass(frozen=True, slots=True)
class PolicyCheck:
    """One policy to check for one request: its storage key and its numbers."""

    key: str
    algorithm: int  # algorithms.GCRA or algorithms.SLIDING_WINDOW
    limit: int
    window_ms: int
    # b"<algorithm> <limit> <window_ms>", precompiled by the plan for the Redis script's ARGV.
    spec: bytes = b""

    def script_spec(self) -> bytes:
        return self.spec or f"{self.algorithm} {self.limit} {self.window_ms}".encode()


class RateLimitBackend(Protocol):
    """Checks every policy of a request at once and records the cost only if all pass.

    Implementations raise :class:`specway.errors.StorageError` when the store cannot answer;
    the limiter turns that into the configured failure mode.
    """

    name: str

    async def hit(self, checks: Sequence[PolicyCheck], cost: int) -> list[Verdict]:
        """One verdict per check, in order; nothing is written unless every one is allowed."""
        ...

    async def ping(self) -> None:
        """Raise ``StorageError`` when the backend does not answer (health check, probes)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def backend_for(settings: Settings) -> RateLimitBackend:
    """Redis when ``settings.redis_url`` is set, the in-process memory backend otherwise."""
    if settings.redis_url:
        from specway.plugins.ratelimit.backends.redis import RedisBackend

        return RedisBackend(settings.redis_url, socket_timeout=settings.redis_socket_timeout)
    from specway.plugins.ratelimit.backends.memory import MemoryBackend

    return MemoryBackend()


__all__ = ["PolicyCheck", "RateLimitBackend", "backend_for"]
