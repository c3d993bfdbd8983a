"""WAL checkpoints of the SQLite file database run in a thread, never inside a commit."""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.engine import Connection

from handlers.services.projects import PROJECTS
from specway.ids import new_id, utcnow
from specway.storage.checkpoint import WalCheckpointer
from specway.storage.database import Database


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate()}


def _insert(connection: Connection, name: str) -> None:
    """A project of ``org_a``, written on the writers' connection (``Database.transaction``)."""
    now = utcnow()
    values = {"id": new_id("proj"), "organization_id": "org_a", "name": name}
    connection.execute(insert(PROJECTS), {**values, "created_at": now, "updated_at": now})


def test_commits_leave_checkpoints_to_the_thread(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/wal.db", timeout=2.0)
    assert database.checkpointer is not None
    database.checkpointer.interval = 0.05
    wal = tmp_path / "wal.db-wal"

    def autocheckpoint_of(connection: Any) -> int:
        return int(connection.execute(text("PRAGMA wal_autocheckpoint")).scalar_one())

    async def run() -> tuple[int, int]:
        await database.migrate()
        # The writers' connection (transactions) and the readers' one (reads).
        autocheckpoint = max(
            await database.transaction(autocheckpoint_of), await database.read(autocheckpoint_of)
        )
        assert "specway-wal-checkpoint" in _threads()
        # Writes for the thread to copy into the database file.
        for i in range(300):
            await database.transaction(functools.partial(_insert, name=f"p{i}" * 40))
        deadline = time.monotonic() + 10
        while database.checkpointer.checkpoints == 0 and time.monotonic() < deadline:  # type: ignore[union-attr]
            await asyncio.sleep(0.05)
        count = await database.read(
            lambda c: c.execute(text("SELECT count(*) FROM projects")).scalar_one()
        )
        await database.dispose()
        return int(autocheckpoint), int(count)

    autocheckpoint, count = asyncio.run(run())
    assert autocheckpoint == 0  # the loop's connection never checkpoints inside a commit
    assert count == 300
    assert database.checkpointer.checkpoints >= 1
    assert "specway-wal-checkpoint" not in _threads()  # dispose() stopped it
    # Its last checkpoint (TRUNCATE) emptied the log; the rows are in the database file.
    assert not wal.exists() or wal.stat().st_size == 0
    with sqlite3.connect(tmp_path / "wal.db") as plain:
        assert plain.execute("SELECT count(*) FROM projects").fetchone()[0] == 300


def test_a_connection_made_after_dispose_keeps_sqlite_checkpoints(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/again.db", timeout=2.0)

    async def run() -> int:
        await database.read(lambda c: c.execute(text("SELECT 1")).scalar_one())
        await database.dispose()
        value = await database.read(
            lambda c: c.execute(text("PRAGMA wal_autocheckpoint")).scalar_one()
        )
        await database.dispose()
        return int(value)

    assert asyncio.run(run()) == 1000  # SQLite's default: nobody else would checkpoint


def test_memory_databases_have_no_checkpointer() -> None:
    assert Database("sqlite+aiosqlite:///:memory:").checkpointer is None
    assert Database("sqlite+aiosqlite://").checkpointer is None


def test_an_unopenable_file_is_logged_and_the_thread_ends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    checkpointer = WalCheckpointer(str(tmp_path / "missing" / "db.sqlite"), interval=0.01)
    with caplog.at_level(logging.ERROR, logger="specway.storage"):
        assert checkpointer.start()
        checkpointer.stop()
    assert not checkpointer.running
    assert "could not open" in caplog.text
    assert not checkpointer.start()  # never restarts once stopped


def test_a_failed_checkpoint_is_logged_and_tried_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    checkpointer = WalCheckpointer(str(tmp_path / "x.db"))
    broken = sqlite3.connect(":memory:")
    broken.close()  # every statement now raises sqlite3.ProgrammingError (a sqlite3.Error)
    with caplog.at_level(logging.WARNING, logger="specway.storage"):
        checkpointer.checkpoint(broken, "PASSIVE")
    assert "WAL checkpoint (PASSIVE)" in caplog.text
    assert checkpointer.checkpoints == 0
