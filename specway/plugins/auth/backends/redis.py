"""The revocation version in Redis: one ``INCR``-ed key shared by every process."""

from __future__ import annotations

from redis.exceptions import RedisError

from specway.errors import StorageError
from specway.redis_clients import RedisClient, redis_client

VERSION_KEY = "specway:auth:revocation-version"


class RedisRevocationBackend:
    """``GET``/``INCR`` of one key; short socket timeouts and no retries, failures wrapped."""

    def __init__(self, url: str, *, socket_timeout: float = 0.25, key: str = VERSION_KEY) -> None:
        self.key = key
        self._redis: RedisClient = redis_client(url, socket_timeout=socket_timeout)

    async def version(self) -> int:
        try:
            raw = await self._redis.get(self.key)
        except (RedisError, OSError) as exc:
            raise StorageError(f"redis: {type(exc).__name__}") from exc
        return int(raw) if raw is not None else 0

    async def bump(self) -> int:
        try:
            return int(await self._redis.incr(self.key))
        except (RedisError, OSError) as exc:
            raise StorageError(f"redis: {type(exc).__name__}") from exc

    async def ping(self) -> None:
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            raise StorageError(f"redis: {type(exc).__name__}") from exc

    async def close(self) -> None:
        await self._redis.aclose()
