"""``specway.redis_clients``: which client a URL builds, with what timeouts and retries.

The cluster client is only built here (redis-py connects lazily); it runs against a real
three-master cluster in ``tests/reliability/test_08_redis_cluster.py``.
"""

from __future__ import annotations

import asyncio
import secrets

import pytest
from redis.asyncio import BlockingConnectionPool, Redis, RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError

from specway.redis_clients import UNBOUNDED, cluster_seed, redis_client


@pytest.mark.parametrize(
    ("url", "seed"),
    [
        ("redis+cluster://10.0.0.1:7000", "redis://10.0.0.1:7000"),
        ("rediss+cluster://u:p@node.example:7001", "rediss://u:p@node.example:7001"),
        ("REDIS+CLUSTER://10.0.0.1:7000", "redis://10.0.0.1:7000"),
        ("redis://10.0.0.1:6379/0", None),
        ("rediss://10.0.0.1:6379", None),
        ("unix:///run/redis.sock", None),
        ("redis+sentinel://10.0.0.1", None),
        ("10.0.0.1:7000", None),
    ],
)
def test_cluster_seed(url: str, seed: str | None) -> None:
    assert cluster_seed(url) == seed


def test_cluster_url_builds_a_cluster_client_without_retries() -> None:
    client = redis_client("redis+cluster://127.0.0.1:7000", socket_timeout=0.3)
    assert isinstance(client, RedisCluster)
    assert [node.name for node in client.startup_nodes] == ["127.0.0.1:7000"]
    assert client.retry.get_retries() == 0
    kwargs = client.connection_kwargs
    assert kwargs["socket_timeout"] == 0.3
    assert kwargs["socket_connect_timeout"] == 0.3
    assert kwargs["max_connections"] == UNBOUNDED
    assert kwargs["connection_class"].__name__ == "Connection"


def test_cluster_url_with_tls_and_a_connection_cap() -> None:
    client = redis_client(
        "rediss+cluster://127.0.0.1:7000",
        socket_timeout=0.3,
        connect_timeout=1.0,
        max_connections=8,
        wait_for_connection=True,  # no waiting mode on a cluster: the cap per node applies
    )
    assert isinstance(client, RedisCluster)
    assert client.connection_kwargs["connection_class"].__name__ == "SSLConnection"
    assert client.connection_kwargs["socket_connect_timeout"] == 1.0
    assert client.connection_kwargs["max_connections"] == 8


def test_cluster_url_refuses_a_database_number() -> None:
    with pytest.raises(Exception, match="db"):
        redis_client("redis+cluster://127.0.0.1:7000/3", socket_timeout=0.3)


def test_plain_url_builds_a_single_server_client() -> None:
    client = redis_client("redis://127.0.0.1:6379/2", socket_timeout=0.3, health_check_interval=5)
    assert isinstance(client, Redis)
    kwargs = client.connection_pool.connection_kwargs
    assert kwargs["db"] == 2
    assert kwargs["socket_timeout"] == 0.3
    assert kwargs["socket_connect_timeout"] == 0.3
    assert kwargs["health_check_interval"] == 5
    assert kwargs["retry"].get_retries() == 0
    assert not isinstance(client.connection_pool, BlockingConnectionPool)


def test_waiting_pool_for_a_single_server() -> None:
    client = redis_client(
        "redis://127.0.0.1:6379/0", socket_timeout=0.3, max_connections=4, wait_for_connection=True
    )
    assert isinstance(client, Redis)
    pool = client.connection_pool
    assert isinstance(pool, BlockingConnectionPool)
    assert pool.max_connections == 4
    assert pool.timeout is None  # waits; the caller's own deadline bounds the wait


@pytest.mark.redis
def test_single_server_client_talks_and_closes_its_connections() -> None:
    name = f"specway-test-{secrets.token_hex(6)}"
    key = f"specway:test:redis-clients:{name}"

    async def connected(observer: Redis) -> int:
        return sum(1 for c in await observer.client_list() if c.get("name") == name)

    async def run() -> tuple[bytes | None, int, int]:
        observer = Redis.from_url("redis://127.0.0.1:6379/0")
        client = redis_client(
            "redis://127.0.0.1:6379/0",
            socket_timeout=1.0,
            max_connections=2,
            wait_for_connection=True,
            client_name=name,
        )
        await client.set(key, b"1", px=10_000)
        found = await client.get(key)
        await client.delete(key)
        while_open = await connected(observer)
        await client.aclose()  # the client owns its pool: every connection is closed
        for _ in range(100):  # the server notices the close a moment later
            if not await connected(observer):
                break
            await asyncio.sleep(0.05)
        after = await connected(observer)
        await observer.aclose()
        return found, while_open, after

    found, while_open, after = asyncio.run(run())
    assert found == b"1"
    assert while_open == 1
    assert after == 0


def test_an_unreachable_server_fails_at_once_without_retries() -> None:
    async def run() -> None:
        # A port nobody listens on: refused, and no retry tries it again.
        client = redis_client("redis://127.0.0.1:1/0", socket_timeout=0.2)
        try:
            with pytest.raises(RedisConnectionError):
                await client.ping()
        finally:
            await client.aclose()

    asyncio.run(run())
