"""``specway db``: the migrations of the core, the spec's enabled plugins and the project.

``upgrade`` applies them in that order (see :mod:`specway.storage.migrate`), ``current`` shows
each owner's revision, ``revision -m MSG`` starts a new revision of the project's own
migrations (``--autogenerate``: from its SQLAlchemy models). The spec is ``--spec``, else
``SPECWAY_SPEC_PATH``, else ``./openapi.yaml``; the database is ``SPECWAY_DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from specway.project import locate
from specway.settings import Settings
from specway.spec import SpecModel, load_model
from specway.storage.database import Database
from specway.storage.migrate import OwnerRevision, current, sources_for


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("db", help="database migrations")
    cmds = parser.add_subparsers(dest="db_command", required=True)
    up = cmds.add_parser(
        "upgrade", help="apply the core's, the enabled plugins' and the project's migrations"
    )
    up.set_defaults(func=upgrade)
    now = cmds.add_parser("current", help="each owner's applied revision and its newest")
    now.set_defaults(func=show_current)
    new = cmds.add_parser("revision", help="start a new revision of the project's migrations")
    new.add_argument("-m", "--message", required=True, help="what the revision does")
    new.add_argument(
        "--autogenerate",
        action="store_true",
        help="compare the project's SQLAlchemy models with the database (at its heads)",
    )
    new.add_argument("--rev-id", help="the revision id (default: a random one)")
    new.set_defaults(func=revision)
    for command in (up, now, new):
        command.add_argument("--spec", help="the spec (default: SPECWAY_SPEC_PATH, openapi.yaml)")


def _spec(args: argparse.Namespace, settings: Settings) -> SpecModel:
    return load_model(args.spec or settings.spec_path)


def upgrade(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    model = _spec(args, settings)

    async def run() -> list[OwnerRevision]:
        db = Database(settings.database_url, timeout=settings.db_timeout)
        try:
            await db.check()
            await db.migrate(model)
            async with db.engine.connect() as conn:
                return await conn.run_sync(current, sources_for(model))
        finally:
            await db.dispose()

    states = asyncio.run(run())
    print(f"database at {Database.redacted(settings.database_url)}: migrated")
    _print(states)
    return 0


def show_current(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    model = _spec(args, settings)

    async def run() -> list[OwnerRevision]:
        db = Database(settings.database_url, timeout=settings.db_timeout)
        try:
            await db.check()
            async with db.engine.connect() as conn:
                return await conn.run_sync(current, sources_for(model))
        finally:
            await db.dispose()

    states = asyncio.run(run())
    _print(states)
    return 0


def revision(args: argparse.Namespace) -> int:
    from specway.storage.revision import new_revision, revision_source

    settings = Settings.from_env()
    model = _spec(args, settings)
    source = revision_source(Path(model.migrations[0]))
    rev_id: str | None = args.rev_id
    if not args.autogenerate:
        written = new_revision(source, args.message, rev_id=rev_id)
    else:
        project = locate(model)

        async def run() -> Path:
            db = Database(settings.database_url, timeout=settings.db_timeout)
            try:
                await db.check()
                async with db.engine.begin() as conn:
                    return await conn.run_sync(
                        lambda sync: new_revision(
                            source, args.message, rev_id=rev_id, connection=sync, project=project
                        )
                    )
            finally:
                await db.dispose()

        written = asyncio.run(run())
    print(f"wrote {_relative(written)}")
    return 0


def _print(states: list[OwnerRevision]) -> None:
    width = max(len(state.owner) for state in states)
    for state in states:
        applied = ", ".join(state.current) or "(none)"
        if not state.heads:
            note = "no revisions"
        elif state.up_to_date:
            note = "head"
        else:
            note = "behind: heads " + ", ".join(state.heads)
        print(f"{state.owner:<{width}}  {applied}  ({note})")


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
