"""Where idempotency records live: memory (one process) or Redis (every process), by URL.

A record is keyed by a hash of (caller, ``Idempotency-Key``) and holds the request's body
fingerprint, the owner token of the request that reserved it and, once that request finished,
the stored response as an opaque (sealed) string. :meth:`IdempotencyBackend.begin` reserves a
key atomically or returns what is already there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from specway.settings import Settings


@dataclass(frozen=True, slots=True)
class Existing:
    """A record that was already there when :meth:`IdempotencyBackend.begin` was called."""

    fingerprint: str
    response: str | None  # ``None`` while the first request is still in flight


class IdempotencyBackend(Protocol):
    """Atomic reserve / finish / release of idempotency records."""

    async def begin(
        self, key: str, fingerprint: str, token: str, lock_ttl: float
    ) -> Existing | None:
        """Reserve ``key`` for ``token`` (``None``), or return the record already there."""

    async def finish(self, key: str, token: str, response: str, ttl: float) -> bool:
        """Store ``response`` for ``ttl`` seconds if ``token`` still owns ``key``."""

    async def release(self, key: str, token: str) -> None:
        """Drop an unfinished reservation owned by ``token`` (so a retry can run)."""

    async def ping(self) -> None:
        """Raise :class:`~specway.errors.StorageError` if the backend does not answer."""

    async def close(self) -> None:
        """Release connections."""


def backend_for(settings: Settings, *, max_entries: int = 10_000) -> IdempotencyBackend:
    """Redis when ``SPECWAY_REDIS_URL`` is set, else the in-process memory backend."""
    if settings.redis_url:
        from specway.plugins.idempotency.backends.redis import RedisBackend

        return RedisBackend(settings.redis_url, socket_timeout=settings.redis_socket_timeout)
    from specway.plugins.idempotency.backends.memory import MemoryBackend

    return MemoryBackend(max_entries=max_entries)
