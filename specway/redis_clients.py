"""Redis clients from ``SPECWAY_REDIS_URL``: one server, or a Redis Cluster.

The URL is redis-py's own (``redis://``, ``rediss://``, ``unix://``; see
``redis.asyncio.Redis.from_url``). A Redis Cluster is named by the same URL with ``+cluster`` in
the scheme: ``redis+cluster://host:port`` (``rediss+cluster://`` with TLS) builds
``redis.asyncio.RedisCluster.from_url("redis://host:port")``. The node given is a seed: the
client discovers every master with ``CLUSTER SLOTS`` and routes each command by its key's slot.
Every multi-key call specway makes (the rate limiter's script) uses one hash tag, so it runs
unchanged on a cluster.

Every client built here has redis-py's retries switched off (a dead server fails within the
socket timeout; the caller applies its failure mode) and owns its connections: ``aclose()``
releases them all.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from redis.asyncio import BlockingConnectionPool, Redis, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

RedisClient: TypeAlias = Redis | RedisCluster

# ``<scheme>+cluster`` -> the redis-py scheme of the seed node.
CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}
UNBOUNDED = 2**31  # redis-py's default cap of a single server's pool


def cluster_seed(url: str) -> str | None:
    """The seed node's plain redis-py URL when ``url`` names a Redis Cluster, else ``None``."""
    scheme, sep, rest = url.partition("://")
    plain = CLUSTER_SCHEMES.get(scheme.lower()) if sep else None
    return f"{plain}://{rest}" if plain is not None else None


def redis_client(
    url: str,
    *,
    socket_timeout: float,
    connect_timeout: float | None = None,
    max_connections: int | None = None,
    wait_for_connection: bool = False,
    **options: Any,
) -> RedisClient:
    """A client for the server or cluster ``url`` names, without retries.

    ``max_connections`` caps the pool (per node on a cluster). With ``wait_for_connection`` a
    single server's pool makes a caller wait for a free connection instead of failing; a
    cluster's node pools have no waiting mode, so a cluster caller that needs it must keep its
    concurrency under the cap (the rate limiter sends one pipeline at a time).
    ``options`` are further redis-py connection keywords (``health_check_interval``...).
    """
    settings: dict[str, Any] = {
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": socket_timeout if connect_timeout is None else connect_timeout,
        "retry": Retry(NoBackoff(), 0),
        **options,
    }
    seed = cluster_seed(url)
    if seed is not None:
        # Unbounded by default, like a single server's pool (redis-py's cluster default is 100).
        settings["max_connections"] = max_connections or UNBOUNDED
        return RedisCluster.from_url(seed, **settings)
    if wait_for_connection:
        pool = BlockingConnectionPool.from_url(
            url, max_connections=max_connections or 64, timeout=None, **settings
        )
        return Redis.from_pool(pool)
    if max_connections is not None:
        settings["max_connections"] = max_connections
    return Redis.from_url(url, **settings)
