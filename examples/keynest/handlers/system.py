"""``System``: KeyNest's health check and API status, from the reference health check."""

from __future__ import annotations

from typing import Any

from handlers.system import get_health as reference_health
from spec.naming import snake
from specway import context

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


async def get_health() -> Response:
    """``healthy`` with the service name; the reference check raises 503 when a backend is down."""
    await reference_health()
    spec = context.app_state().spec
    return {"status": "healthy", "service": spec.title, "version": spec.version}, 200


async def get_api_index() -> Response:
    """A welcome message and, per tag, the shortest path of its operations."""
    spec = context.app_state().spec
    endpoints: dict[str, str] = {}
    for op in sorted(spec.operations.values(), key=lambda o: (len(o.path), o.path)):
        name = snake(op.tags[0])
        if name != "system" and "{" not in op.path:
            endpoints.setdefault(name, spec.base_path + op.path)
    for op in spec.operations.values():
        if op.operation_id == "getHealth":
            endpoints["health"] = spec.base_path + op.path
    return {
        "message": f"Welcome to {spec.title}",
        "version": spec.version,
        "endpoints": endpoints,
    }, 200
