"""``specway secrets rotate-key``: re-encrypt every secret at rest with the current key.

Rotation, step by step: set ``SPECWAY_SECRET_KEY`` to the new key and put the old one(s) in
``SPECWAY_PREVIOUS_SECRET_KEYS`` (servers keep reading old values meanwhile), run this command,
and once it reports nothing unreadable, drop the old keys.
"""

from __future__ import annotations

import argparse
import asyncio

from specway.settings import Settings, secret_box
from specway.storage.database import Database
from specway.storage.rotation import RotationReport, rotate_all


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("secrets", help="secrets at rest")
    cmds = parser.add_subparsers(dest="secrets_command", required=True)
    rotate = cmds.add_parser(
        "rotate-key",
        help="re-encrypt every stored secret with SPECWAY_SECRET_KEY "
        "(old keys in SPECWAY_PREVIOUS_SECRET_KEYS)",
    )
    rotate.add_argument("--batch-size", type=int, default=500, help="rows per transaction")
    rotate.add_argument(
        "--dry-run", action="store_true", help="count what would be re-encrypted; write nothing"
    )
    rotate.set_defaults(func=rotate_key)


def rotate_key(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    box = secret_box(settings)
    if args.batch_size < 1:
        raise SystemExit("specway: --batch-size must be at least 1")

    async def run() -> list[RotationReport]:
        db = Database(settings.database_url, timeout=settings.db_timeout)
        try:
            await db.check()
            return await rotate_all(db, box, batch_size=args.batch_size, dry_run=args.dry_run)
        finally:
            await db.dispose()

    reports = asyncio.run(run())
    verb = "would re-encrypt" if args.dry_run else "re-encrypted"
    unreadable = 0
    for report in reports:
        name = f"{report.column.table}.{report.column.value_column}"
        if not report.present:
            print(f"{name}: no such table (skipped)")
            continue
        print(
            f"{name}: {report.scanned} values, {verb} {report.rotated} with key "
            f"{box.current_key_id}, {report.current} already current, "
            f"{report.changed_meanwhile} changed meanwhile, {len(report.unreadable)} unreadable"
        )
        for ident in report.unreadable:
            print(f"  unreadable: {ident}")
        unreadable += len(report.unreadable)
    if unreadable:
        print(
            f"{unreadable} value(s) open with none of the configured keys: add the key that "
            "sealed them to SPECWAY_PREVIOUS_SECRET_KEYS and run again"
        )
        return 1
    return 0
