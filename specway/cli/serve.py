"""``specway serve``: run the gateway under uvicorn (uvloop + httptools)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.config
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import uvicorn

from specway.app import load_spec, resolve_handlers
from specway.cli.spec_option import add_spec_argument, spec_path
from specway.errors import ConfigError
from specway.logs import configure
from specway.settings import Settings
from specway.storage.database import Database

logger = logging.getLogger("specway.serve")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("serve", help="serve the API described by a spec")
    add_spec_argument(parser)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--timeout-graceful-shutdown", type=int, default=20)
    parser.add_argument(
        "--allow-per-process-state",
        action="store_true",
        help="run several workers without SPECWAY_REDIS_URL: each keeps its own rate limits, "
        "revocations and idempotency keys (inconsistent across workers)",
    )
    parser.set_defaults(func=serve)


def check_shared_state(workers: int, settings: Settings, *, allow: bool) -> None:
    """Refuse several workers whose state would be per process, unless told to allow it.

    Without ``SPECWAY_REDIS_URL`` the rate limiter, the revocation announcements and the
    idempotency store live in each worker's memory: a revoked key keeps working in the other
    workers until their credential cache expires, one ``Idempotency-Key`` can create a resource
    once per worker, and every limit is multiplied by the worker count. Starting anyway without
    a word would hide that, so it takes an explicit ``--allow-per-process-state``.
    """
    if workers <= 1 or settings.redis_url:
        return
    if not allow:
        raise ConfigError(
            f"--workers {workers} without SPECWAY_REDIS_URL: rate limits, key revocations and "
            "idempotency keys would be per worker (limits multiplied, revoked keys still "
            "accepted by other workers, duplicate creates); set SPECWAY_REDIS_URL to a shared "
            "Redis, or pass --allow-per-process-state to accept that"
        )
    logger.warning(
        "%d workers without SPECWAY_REDIS_URL (--allow-per-process-state): rate limits, "
        "revocations and idempotency keys are per worker",
        workers,
    )


def preflight(settings: Settings) -> None:
    """Fail fast with one clear line: a bad spec, a handlers package that does not import or
    lacks a handler, or an unreachable/unmigratable database (rather than a traceback from
    each uvicorn worker)."""
    resolve_handlers(load_spec(settings.spec_path))

    async def check() -> None:
        db = Database(settings.database_url, timeout=settings.db_timeout)
        try:
            await db.check()
            if settings.auto_migrate:
                await db.migrate(settings.spec_path)
        finally:
            await db.dispose()

    asyncio.run(check())


def prepare_metrics_dir(workers: int) -> Callable[[], None]:
    """Set up prometheus-client's multiprocess mode for several workers; returns the cleanup.

    Each worker then writes its metric values to files in ``PROMETHEUS_MULTIPROC_DIR`` and any
    worker's ``/metrics`` sums them all. A directory the operator chose is emptied of stale
    ``*.db`` files (as prometheus-client requires between runs); otherwise a temporary one is
    created and removed on exit. One worker keeps the faster in-process registry.
    """
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        return lambda: None
    if workers <= 1:
        return lambda: None
    created = tempfile.mkdtemp(prefix="specway-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = created
    return lambda: shutil.rmtree(created, ignore_errors=True)


def serve(args: argparse.Namespace) -> int:
    # Absolute, in the environment: uvicorn's workers build the app from SPECWAY_SPEC_PATH
    # (specway.asgi:build), and find the project from it whatever their directory.
    os.environ["SPECWAY_SPEC_PATH"] = str(spec_path(args).resolve())
    settings = Settings.from_env()
    logging.config.dictConfig(configure(args.log_level))  # JSON lines from the first warning
    check_shared_state(args.workers, settings, allow=args.allow_per_process_state)
    preflight(settings)
    cleanup = prepare_metrics_dir(args.workers)
    try:
        run(args)
    finally:
        cleanup()
    return 0


def run(args: argparse.Namespace) -> None:
    uvicorn.run(
        "specway.asgi:build",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        log_config=configure(args.log_level),
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=args.timeout_graceful_shutdown,
    )
