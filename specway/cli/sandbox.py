"""``specway sandbox reset``: purge test-mode data (seed 002: "test data automatically reset").

Resets each sandbox twin (see :mod:`plugins.auth.sandbox`) whose data is older than
``--older-than`` (default: the spec's ``x-specway-auth.sandbox.reset_after``; ``0`` or
``--all`` resets every sandbox now). Run it from cron or a scheduler as often as the reset
period needs; it is idempotent. Prints one line per sandbox reset to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta

from specway.app import load_spec
from specway.cli.spec_option import add_spec_argument, settings_for
from specway.errors import ConfigError
from specway.plugins.auth.sandbox import SandboxReset, reset_sandboxes
from specway.spec.extensions import duration_seconds
from specway.storage.database import Database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("sandbox", help="manage test-mode sandboxes")
    cmds = parser.add_subparsers(dest="sandbox_command", required=True)
    reset = cmds.add_parser("reset", help="delete the data of sandboxes older than a period")
    add_spec_argument(reset)
    reset.add_argument(
        "--older-than",
        default=None,
        help="seconds or an ISO 8601 duration (P1D, PT12H); default: sandbox.reset_after",
    )
    reset.add_argument("--all", action="store_true", help="reset every sandbox now")
    reset.add_argument("--org", default=None, help="only the sandbox of this live organisation")
    reset.set_defaults(func=reset_command)


def parse_period(value: str) -> timedelta:
    """``--older-than``: whole seconds or an ISO 8601 duration; ``ConfigError`` otherwise."""
    text = value.strip()
    try:
        seconds = int(text) if text.isdigit() else duration_seconds(text.upper())
    except ValueError:
        raise ConfigError(
            f"--older-than: not seconds or an ISO 8601 duration (P1D, PT12H): {value!r}"
        ) from None
    return timedelta(seconds=seconds)


def reset_command(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    if args.all:
        period: timedelta | None = None
    elif args.older_than is not None:
        period = parse_period(args.older_than)
    else:
        reset_after = load_spec(settings.spec_path).auth.sandbox.reset_after
        if reset_after is None:
            raise ConfigError(
                "no reset period: pass --older-than or --all, or set "
                "x-specway-auth.sandbox.reset_after in the spec"
            )
        period = timedelta(seconds=reset_after)

    async def run() -> list[SandboxReset]:
        db = Database(settings.database_url, timeout=settings.db_timeout)
        try:
            await db.check()
            if settings.auto_migrate:
                await db.migrate(settings.spec_path)
            async with db.session() as session, session.begin():
                return await reset_sandboxes(session, period, organization_id=args.org)
        finally:
            await db.dispose()

    resets = asyncio.run(run())
    for done in resets:
        counts = ", ".join(f"{table}={n}" for table, n in sorted(done.deleted.items()))
        print(
            f"reset {done.sandbox_organization_id} (sandbox of {done.organization_id}): "
            f"{sum(done.deleted.values())} rows deleted" + (f" ({counts})" if counts else "")
        )
    if not resets:
        print("no sandbox due for a reset")
    return 0
