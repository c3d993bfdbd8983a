"""ASGI app factories the benchmark serves (uvicorn ``--factory``).

``floor``: a bare Connexion 3 AsyncApp on the same openapi.yaml, validation on, no plugins,
handlers returning fixed objects. ``specway_fixed``: specway's full plugin stack with the same
fixed handlers (isolates our overhead). ``specway_real``: the real handlers and database.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from connexion import AsyncApp
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from connexion.security import BearerSecurityHandler
from sqlalchemy import event

from specway.app import SpecwayApp, create_app
from specway.settings import Settings
from specway.spec import load_model, load_spec_document
from specway.spec.oas30_view import as_openapi30

SPEC = Path(
    os.environ.get("SPECWAY_SPEC_PATH", Path(__file__).resolve().parent.parent / "openapi.yaml")
)
PROJECT = {
    "id": "proj_benchbenchbench01",
    "name": "Bench",
    "description": "",
    "status": "active",
    "organization": None,
    "config": {"environment": "production", "region": "us-west-2"},
    "created_at": "2024-02-26T12:00:00Z",
    "updated_at": "2024-02-26T12:00:00Z",
}
PAGE = {
    "data": [PROJECT] * 20,
    "pagination": {"page": 2, "per_page": 20, "total": 60, "pages": 3},
    "links": {
        "first": "/v1/projects?page=1",
        "prev": "/v1/projects?page=1",
        "next": "/v1/projects?page=3",
        "last": "/v1/projects?page=3",
    },
}


async def _get(**_: Any) -> Any:
    return PROJECT, 200


async def _list(**_: Any) -> Any:
    return PAGE, 200


async def _create(**_: Any) -> Any:
    return PROJECT, 201


async def _other(**_: Any) -> Any:
    return {}, 200


def fixed_handlers() -> dict[str, Callable[..., Any]]:
    model = load_model(SPEC)
    handlers: dict[str, Callable[..., Any]] = dict.fromkeys(model.operations, _other)
    handlers.update(getProject=_get, listProjects=_list, createProject=_create)
    return handlers


class _Fixed(Resolver):  # type: ignore[misc]
    def __init__(self, handlers: dict[str, Callable[..., Any]]) -> None:
        super().__init__()
        self.handlers = handlers

    def resolve_function_from_operation_id(self, operation_id: str) -> Callable[..., Any]:
        return self.handlers[operation_id]


def _any_bearer(token: str) -> dict[str, Any]:
    """The hand-wired baseline's auth: accept any bearer token with every scope."""
    return {"sub": "bench", "scope": ["read", "write", "delete", "admin"]}


class _AnyBearer(BearerSecurityHandler):  # type: ignore[misc]
    def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[..., Any]:
        return _any_bearer


def floor() -> AsyncApp:
    """Bare Connexion: same spec, validation on, a trivial bearer check, fixed handlers."""
    app = AsyncApp(__name__, security_map={"bearer": _AnyBearer})
    app.add_api(
        # Connexion 3.3 validates OpenAPI 3.0 only: the 3.0 view specway itself hands it.
        as_openapi30(load_spec_document(SPEC), for_connexion=True),
        resolver=_Fixed(fixed_handlers()),
        swagger_ui_options=SwaggerUIOptions(swagger_ui=False, serve_spec=False),
    )
    return app


def _count_queries(app: SpecwayApp) -> SpecwayApp:
    """Count SQL statements, while the harness asks, into a file it reads (queries per request).

    Off by default: a SQLAlchemy cursor listener costs about 7 us per statement, which only
    the database-backed cases would pay in the timed rounds. ``SIGUSR2`` turns counting on or
    off; each switch writes ``"<switches> <statements so far>"`` to the file.
    """
    path = os.environ.get("SPECWAY_BENCH_QUERY_COUNT")
    if not path:
        return app
    database = app.state.database
    engine = database.engine.sync_engine
    state = {"statements": 0, "switches": 0}

    def sent() -> int:
        # Statements through SQLAlchemy (the listener, while on) and, on PostgreSQL, those
        # sent on asyncpg directly (PgDirect counts every one; the harness takes differences
        # between two switches, so only those made while counting is on count).
        return state["statements"] + (database.pg.statements if database.pg else 0)

    def count(*_: Any) -> None:
        state["statements"] += 1

    def switch() -> None:
        if event.contains(engine, "before_cursor_execute", count):
            event.remove(engine, "before_cursor_execute", count)
        else:
            event.listen(engine, "before_cursor_execute", count)
        state["switches"] += 1
        partial = Path(f"{path}.tmp")
        partial.write_text(f"{state['switches']} {sent()}")
        os.replace(partial, path)  # atomically: the harness polls the file

    # uvicorn builds the app inside its running loop: the switch runs between requests.
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR2, switch)
    return app


def _profile_on_signal(app: SpecwayApp) -> SpecwayApp:
    """``SPECWAY_BENCH_PROFILE=<path>``: ``SIGUSR1`` starts cProfile in the server, the next
    ``SIGUSR1`` stops it and writes its stats to ``<path>`` (``python -m pstats <path>``):
    where a request's time goes, measured in the server (cProfile slows every Python call,
    so compare shares, not µs)."""
    path = os.environ.get("SPECWAY_BENCH_PROFILE")
    if not path:
        return app
    import cProfile

    state: dict[str, cProfile.Profile | None] = {"profile": None}

    def toggle() -> None:
        running = state["profile"]
        if running is None:
            state["profile"] = cProfile.Profile(time.thread_time)
            state["profile"].enable()
            return
        running.disable()
        running.dump_stats(path)
        state["profile"] = None

    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, toggle)
    return app


def specway_fixed() -> SpecwayApp:
    return _count_queries(create_app(SPEC, Settings.from_env(), handlers=fixed_handlers()))


def specway_real() -> SpecwayApp:
    return _profile_on_signal(_count_queries(create_app(SPEC, Settings.from_env())))
