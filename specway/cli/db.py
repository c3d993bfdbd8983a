"""``specway db upgrade``: apply the Alembic migrations to ``SPECWAY_DATABASE_URL``."""

from __future__ import annotations

import argparse
import asyncio

from specway.settings import Settings
from specway.storage.database import Database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("db", help="database migrations")
    cmds = parser.add_subparsers(dest="db_command", required=True)
    up = cmds.add_parser("upgrade", help="apply every migration (alembic upgrade heads)")
    up.set_defaults(func=upgrade)


def upgrade(args: argparse.Namespace) -> int:
    settings = Settings.from_env()

    async def run() -> None:
        db = Database(settings.database_url, timeout=settings.db_timeout)
        try:
            await db.check()
            await db.migrate()
        finally:
            await db.dispose()

    asyncio.run(run())
    print(f"database at {Database.redacted(settings.database_url)}: migrated")
    return 0
