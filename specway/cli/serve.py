"""``specway serve``: run the gateway under uvicorn (uvloop + httptools)."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import uvicorn

from specway.app import load_spec
from specway.logs import configure
from specway.settings import Settings
from specway.storage.database import Database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("serve", help="serve the API described by a spec")
    parser.add_argument(
        "--spec", default=None, help="OpenAPI document (default: SPECWAY_SPEC_PATH or openapi.yaml)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--timeout-graceful-shutdown", type=int, default=20)
    parser.set_defaults(func=serve)


def preflight(settings: Settings) -> None:
    """Fail fast with one clear line: a bad spec, or an unreachable/unmigratable database."""
    load_spec(settings.spec_path)

    async def check() -> None:
        db = Database(settings.database_url, timeout=settings.db_timeout)
        try:
            await db.check()
            if settings.auto_migrate:
                await db.migrate()
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
    if args.spec:
        os.environ["SPECWAY_SPEC_PATH"] = args.spec
    settings = Settings.from_env()
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
