"""Handlers of the ``System`` tag: health and the API index."""

from __future__ import annotations

import asyncio
import time
from functools import partial
from typing import Any

from specway import context
from specway.errors import ServiceUnavailable, StorageError
from specway.redis_clients import redis_client

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


async def ping_redis(url: str, socket_timeout: float) -> None:
    """One ``PING`` on a short-lived connection (every master of a cluster); raises when Redis
    does not answer in time."""
    client = redis_client(url, socket_timeout=socket_timeout)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def get_health() -> Response:
    """Check every dependency; 503 in the envelope naming the ones that are down."""
    state = context.app_state()
    checks: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    try:
        await context.database().check()
        checks["database"] = {
            "status": "ok",
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        }
    except StorageError:
        checks["database"] = {"status": "down"}
    probes = dict(state.services.get("health_checks", {}))
    if state.settings.redis_url and "redis" not in probes:
        probes["redis"] = partial(
            ping_redis, state.settings.redis_url, state.settings.redis_socket_timeout
        )
    for name, probe in probes.items():
        started = time.perf_counter()
        try:
            async with asyncio.timeout(state.settings.db_timeout):
                await probe()
            checks[name] = {
                "status": "ok",
                "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            }
        except Exception:
            checks[name] = {"status": "down"}
    down = sorted(name for name, check in checks.items() if check["status"] != "ok")
    if down:
        raise ServiceUnavailable(
            f"Unavailable: {', '.join(down)}",
            details={"checks": checks},
            headers={"Retry-After": "5"},
        )
    return {"status": "ok", "version": state.spec.version, "checks": checks}, 200


async def get_api_index() -> Response:
    """The API's name, version and its endpoints grouped by tag."""
    spec = context.app_state().spec
    groups: dict[str, list[dict[str, str]]] = {}
    for op in sorted(spec.operations.values(), key=lambda o: (o.tags[0], o.path, o.method)):
        groups.setdefault(op.tags[0], []).append(
            {
                "method": op.method.upper(),
                "path": op.path,
                "operation_id": op.operation_id,
                "summary": op.summary,
            }
        )
    body = {
        "name": spec.title,
        "version": spec.version,
        "status": "ok",
        "groups": [
            {"name": name, "endpoints": endpoints} for name, endpoints in sorted(groups.items())
        ],
    }
    return body, 200
