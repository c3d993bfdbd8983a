"""``last_used_at`` written in batches, off the hot path.

A request only records ``id → now`` in a dict; a background task writes the latest time of every
key and session used since the last flush, every ``interval`` seconds and once more at
shutdown: one prebuilt ``UPDATE`` per table run for every row (``Database.write``: one
``executemany`` statement on PostgreSQL, one shared commit on SQLite).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.exc import SQLAlchemyError

from specway.ids import utcnow
from specway.plugins.auth.models import ApiKey, Session
from specway.storage.database import Database, Write
from specway.storage.prepared import Prepared
from specway.tasks import cancel_and_wait

logger = logging.getLogger("specway.auth.usage")


def _last_used(table: Table) -> Prepared:
    # Rows deleted meanwhile are simply not matched.
    return Prepared(
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(last_used_at=bindparam("used_at"))
    )


_KEYS_USED = _last_used(cast(Table, ApiKey.__table__))
_SESSIONS_USED = _last_used(cast(Table, Session.__table__))


class UsageRecorder:
    """Collects last-use times of API keys and sessions and flushes them in batches."""

    def __init__(self, database: Database, interval: float = 5.0) -> None:
        self.database = database
        self.interval = interval
        self._keys: dict[str, datetime] = {}
        self._sessions: dict[str, datetime] = {}
        self._task: asyncio.Task[None] | None = None

    def record(self, kind: str, ident: str) -> None:
        """Note one use (O(1), no I/O)."""
        (self._keys if kind == "api_key" else self._sessions)[ident] = utcnow()

    @property
    def pending(self) -> int:
        return len(self._keys) + len(self._sessions)

    async def flush(self) -> int:
        """Write every pending last-use time; returns how many rows were updated."""
        keys, self._keys = self._keys, {}
        sessions, self._sessions = self._sessions, {}
        if not keys and not sessions:
            return 0
        try:
            for statement, times in ((_KEYS_USED, keys), (_SESSIONS_USED, sessions)):
                if times:
                    rows: list[dict[str, Any]] = [
                        {"row_id": k, "used_at": t} for k, t in times.items()
                    ]
                    write: Write = (statement, rows)
                    await self.database.write([write])
        except SQLAlchemyError:
            logger.warning(
                "could not write last_used_at for %d credentials", len(keys) + len(sessions)
            )
            # Keep the newest times for the next attempt.
            for k, t in keys.items():
                self._keys.setdefault(k, t)
            for k, t in sessions.items():
                self._sessions.setdefault(k, t)
            return 0
        return len(keys) + len(sessions)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.flush()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="specway-auth-usage")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        await self.flush()
