"""Where revocations are announced so every process drops its cached credentials.

A backend keeps one version number; :meth:`RevocationBackend.bump` raises it after anything
that can make a cached credential wrong (revoked key, logout, changed membership), and every
process polls :meth:`RevocationBackend.version` a few times a second and clears its cache when
the number moves. The memory backend covers one process (and is the test double); the Redis
backend covers every process sharing the Redis server. Chosen by ``SPECWAY_REDIS_URL``.
"""

from __future__ import annotations

from typing import Protocol

from specway.plugins.auth.backends.memory import MemoryRevocationBackend


class RevocationBackend(Protocol):
    """A shared, monotonically increasing revocation version."""

    async def version(self) -> int:
        """The current version; raises on a backend failure."""

    async def bump(self) -> int:
        """Raise the version; returns the new one."""

    async def close(self) -> None:
        """Release connections."""


def revocation_backend(redis_url: str | None, socket_timeout: float = 0.25) -> RevocationBackend:
    """The Redis backend when ``redis_url`` is set, else the memory one."""
    if redis_url:
        from specway.plugins.auth.backends.redis import RedisRevocationBackend

        return RedisRevocationBackend(redis_url, socket_timeout=socket_timeout)
    return MemoryRevocationBackend()


__all__ = ["MemoryRevocationBackend", "RevocationBackend", "revocation_backend"]
