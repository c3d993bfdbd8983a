"""``RedisBackend``: idempotency records shared by every worker and host.

Each operation is one Lua script (``EVALSHA``, reloaded by redis-py when the server lost it), so
reserving, finishing and releasing are atomic. redis-py's own retries are off: a slow or absent
Redis fails within the socket timeout and the middleware applies its failure mode.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from redis.exceptions import RedisError

from specway.errors import StorageError
from specway.plugins.idempotency.backends import Existing
from specway.redis_clients import RedisClient, redis_client


def _script(name: str) -> str:
    return files("specway.plugins.idempotency.backends").joinpath(name).read_text(encoding="utf-8")


class RedisBackend:
    """Records as Redis hashes (``fp``, ``owner``, ``response``) with a TTL."""

    def __init__(self, url: str, *, socket_timeout: float = 0.25) -> None:
        self.client: RedisClient = redis_client(url, socket_timeout=socket_timeout)
        self._begin = self.client.register_script(_script("begin.lua"))
        self._finish = self.client.register_script(_script("finish.lua"))
        self._release = self.client.register_script(_script("release.lua"))

    async def _run(self, script: Any, key: str, *args: Any) -> Any:
        try:
            return await script(keys=[key], args=list(args))
        except (RedisError, OSError) as exc:
            raise StorageError(f"redis: {type(exc).__name__}") from exc

    async def begin(
        self, key: str, fingerprint: str, token: str, lock_ttl: float
    ) -> Existing | None:
        found = await self._run(self._begin, key, fingerprint, token, int(lock_ttl * 1000))
        if found is None:
            return None
        fp, response = found
        return Existing(fp.decode(), response.decode() if response is not None else None)

    async def finish(self, key: str, token: str, response: str, ttl: float) -> bool:
        return bool(await self._run(self._finish, key, token, response, int(ttl * 1000)))

    async def release(self, key: str, token: str) -> None:
        await self._run(self._release, key, token)

    async def ping(self) -> None:
        try:
            await self.client.ping()
        except (RedisError, OSError) as exc:
            raise StorageError(f"redis: {type(exc).__name__}") from exc

    async def close(self) -> None:
        await self.client.aclose()
