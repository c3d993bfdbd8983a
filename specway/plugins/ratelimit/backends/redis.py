"""The Redis backend: ``limiter.lua`` checks and records every policy of a request at once.

One ``EVALSHA`` per request, sent in an automatic pipeline with the other requests of the same
event-loop iteration (:mod:`~plugins.ratelimit.backends.pipeline`), the script loaded again on
``NOSCRIPT`` (after a Redis restart or failover). The connection uses hiredis when installed,
has its retries switched off, and every call is bounded by ``redis_socket_timeout``: a dead or
hung Redis answers with :class:`~specway.errors.StorageError` within that time and the limiter
applies the failure mode. Only while this process's own event loop lags (a flood of requests)
is the wait stretched, see :mod:`plugins.ratelimit.deadline`, so that overload never fails open.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from importlib.resources import files
from typing import Any

from specway.errors import StorageError
from specway.plugins.ratelimit.algorithms import Verdict
from specway.plugins.ratelimit.backends import PolicyCheck
from specway.plugins.ratelimit.backends.pipeline import AutoPipeline
from specway.plugins.ratelimit.deadline import LagAwareDeadline
from specway.redis_clients import RedisClient, redis_client

logger = logging.getLogger("specway.ratelimit")
LUA_SOURCE = files("specway.plugins.ratelimit").joinpath("limiter.lua").read_text(encoding="utf-8")


class RedisBackend:
    """Rate-limit state in Redis (or Redis Cluster: a request's keys share one hash tag)."""

    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        socket_timeout: float,
        max_connections: int = 64,
        overload_cap: float | None = None,
    ) -> None:
        self.url = url
        self.timeout = socket_timeout
        # The deadline of each call: ``socket_timeout``, stretched (up to ``overload_cap``) only
        # while this process's event loop is lagging; the driver's own timeouts are a backstop.
        cap = overload_cap if overload_cap is not None else max(2.0, 8 * socket_timeout)
        self.deadline = LagAwareDeadline(socket_timeout, cap)
        # A blocking pool: a burst of concurrent requests waits for a connection instead of
        # failing with MaxConnectionsError (which would fail them open); the deadline bounds it.
        # (On a Redis Cluster the one pipeline in flight at a time stays under the node cap.)
        self.client: RedisClient = redis_client(
            url,
            socket_timeout=cap,
            max_connections=max_connections,
            wait_for_connection=True,
            retry_on_error=[],
            health_check_interval=0,
            lib_name=None,
            lib_version=None,
        )
        sha = self.client.register_script(LUA_SOURCE).sha
        self.pipeline = AutoPipeline(self.client, LUA_SOURCE, sha, self.deadline)

    async def hit(self, checks: Sequence[PolicyCheck], cost: int) -> list[Verdict]:
        args: list[Any] = [len(checks), *(check.key for check in checks), cost]
        args.append(b" ".join(check.script_spec() for check in checks))
        try:
            reply = await self.pipeline.evalsha(args)
        except Exception as exc:  # any failure of the store becomes the failure mode
            raise StorageError(f"rate-limit backend failed: {type(exc).__name__}") from exc
        values = [int(v) for v in reply]
        return [
            Verdict(bool(values[i]), values[i + 1], values[i + 2], values[i + 3])
            for i in range(2, len(values), 4)
        ]

    async def ping(self) -> None:
        try:
            async with self.deadline():
                await self.client.ping()
        except Exception as exc:
            raise StorageError(f"rate-limit backend failed: {type(exc).__name__}") from exc

    async def close(self) -> None:
        if self.pipeline.batches:
            logger.info(
                "rate-limit redis: %d calls in %d pipelines (%.1f per round trip)",
                self.pipeline.calls,
                self.pipeline.batches,
                self.pipeline.calls / self.pipeline.batches,
            )
        await self.pipeline.close()
        self.deadline.stop()
        await self.client.aclose()
