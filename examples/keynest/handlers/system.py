"""``System``: KeyNest's health check and API status, from the reference health check."""

from __future__ import annotations

import posixpath
from typing import Any

from handlers.system import get_health as reference_health
from specway import context
from specway.spec.naming import snake

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def directory(paths: list[str]) -> str:
    """The longest common ``/``-ended prefix: ``/api/auth/`` for ``/api/auth/login/``, …."""
    if len(paths) == 1:
        return paths[0]
    return posixpath.commonpath(paths).rstrip("/") + "/"


async def get_health() -> Response:
    """``healthy`` with the service name; the reference check raises 503 when a backend is down."""
    await reference_health()
    spec = context.app_state().spec
    return {"status": "healthy", "service": spec.title, "version": spec.version}, 200


async def get_api_index() -> Response:
    """A welcome message and, per tag, where its endpoints live.

    Each tag (named by its ``x-displayName`` when it has one, as Redoc shows it) maps to the
    common directory of its paths without parameters: ``/api/auth/`` for login, logout, ….
    """
    spec = context.app_state().spec
    names = {
        tag["name"]: snake(str(tag.get("x-displayName", tag["name"])))
        for tag in spec.document.get("tags", [])
    }
    paths: dict[str, list[str]] = {}
    for op in spec.operations.values():
        if op.tags and op.tags[0] != "System" and "{" not in op.path:
            paths.setdefault(names.get(op.tags[0], snake(op.tags[0])), []).append(op.path)
    endpoints = {name: spec.base_path + directory(found) for name, found in sorted(paths.items())}
    for op in spec.operations.values():
        if op.operation_id == "getHealth":
            endpoints["health"] = spec.base_path + op.path
    return {
        "message": f"Welcome to {spec.title}",
        "version": spec.version,
        "endpoints": endpoints,
    }, 200
