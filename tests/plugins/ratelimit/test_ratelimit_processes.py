"""Two app processes sharing one Redis: exact admission under concurrency, skewed clocks.

The servers are real ``specway serve`` processes (uvicorn) of the scenario spec; the requests
come concurrently from one client, spread over both servers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from rl_support import REDIS_URL, LiveServer

pytestmark = [pytest.mark.redis, pytest.mark.slow]


async def fire(servers: list[LiveServer], path: str, count: int) -> list[httpx.Response]:
    """``count`` concurrent GETs of ``path``, alternating between the servers."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        return await asyncio.gather(
            *(client.get(servers[i % len(servers)].base + path) for i in range(count))
        )


def statuses(responses: list[httpx.Response]) -> dict[int, int]:
    found: dict[int, int] = {}
    for response in responses:
        found[response.status_code] = found.get(response.status_code, 0) + 1
    return found


@pytest.mark.parametrize(
    ("path", "limit"),
    [("/items", 20), ("/quota", 15)],  # the GCRA burst binds; the sliding-window quota binds
)
def test_exact_admission_across_two_processes(
    live_servers: Callable[..., list[LiveServer]], key_prefix: str, path: str, limit: int
) -> None:
    servers = live_servers(
        {"SPECWAY_REDIS_URL": REDIS_URL, "SPECWAY_RATELIMIT_KEY_PREFIX": key_prefix}
    )
    responses = asyncio.run(fire(servers, path, 10 * limit))
    assert statuses(responses) == {200: limit, 429: 9 * limit}
    # Every admitted response reported a distinct remaining count: no unit was handed out twice.
    admitted = sorted(
        int(r.headers["x-ratelimit-remaining"]) for r in responses if r.status_code == 200
    )
    if path == "/items":
        assert admitted == list(range(limit))
    rejected = [r for r in responses if r.status_code == 429]
    assert all(r.json()["error"]["code"] == "rate_limited" for r in rejected)
    assert all(int(r.headers["retry-after"]) >= 1 for r in rejected)


def test_processes_with_skewed_clocks_agree(
    live_servers: Callable[..., list[LiveServer]], key_prefix: str
) -> None:
    # One server's wall clock runs an hour and a half ahead, the other's 40 minutes behind.
    servers = live_servers(
        {"SPECWAY_REDIS_URL": REDIS_URL, "SPECWAY_RATELIMIT_KEY_PREFIX": key_prefix},
        skews=(5400.0, -2400.0),
    )
    responses = asyncio.run(fire(servers, "/quota", 150))
    assert statuses(responses) == {200: 15, 429: 135}
    ahead = httpx.get(servers[0].base + "/quota")
    behind = httpx.get(servers[1].base + "/quota")
    assert ahead.status_code == 429
    assert behind.status_code == 429
    # Both report the same wait and window end (Redis time), within the second between them.
    for name in ("retry-after", "x-ratelimit-reset"):
        assert abs(int(ahead.headers[name]) - int(behind.headers[name])) <= 1
