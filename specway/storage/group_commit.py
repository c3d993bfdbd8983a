"""``GroupCommit``: concurrent ``Database.transaction`` calls on SQLite share one commit.

On the in-loop SQLite connection (:mod:`specway.storage.sqlite_inloop`) a transaction runs from
start to finish without yielding, so concurrent transactions already run one after another.
What each one pays on its own is the fixed cost around its statements: a pool checkout, a
greenlet, SQLAlchemy's begin and commit, and SQLite's COMMIT, which appends every page the
transaction touched to the WAL (the same index pages, again and again, when the writes are
alike).

Here the transactions asked for in the same turn of the event loop run as one: each caller's
work in its own ``SAVEPOINT``, released when the work returns and rolled back to when it raises,
so a failing work undoes only its own statements and its error reaches only its own caller (a
409 on a unique key stays that request's 409). Then one ``COMMIT``. No caller is answered
before that COMMIT returns, so nothing is reported done before it is as durable as any other
commit. If the group's transaction is lost (the COMMIT fails, or an error makes SQLite roll back
the whole transaction), every caller whose work had run gets that error: none of its writes
persisted. A caller cancelled before its turn is skipped.

Works must be synchronous, must not commit or roll back themselves, and should not touch state
outside the database that a rollback would not undo (the same rule as for any transaction
that can fail at COMMIT).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.util import greenlet_spawn

from specway.storage.prepared import dbapi_error

T = TypeVar("T")
Work = Callable[[Connection], Any]

_SAVEPOINT = "specway_group"


@dataclass(slots=True)
class _Pending:
    work: Work
    future: asyncio.Future[Any]


class _Control:
    """Runs BEGIN / SAVEPOINT / RELEASE on the raw cursor, errors wrapped as SQLAlchemy's."""

    def __init__(self, connection: Connection, cursor: Any) -> None:
        self.connection = connection
        self.cursor = cursor

    def __call__(self, sql: str) -> None:
        dialect = self.connection.dialect
        try:
            self.cursor.execute(sql)
        except dialect.loaded_dbapi.Error as error:
            raise dbapi_error(dialect, sql, None, error) from error


class GroupCommit:
    """Runs the works queued in one turn of the loop in one transaction (see the module doc).

    ``begin`` opens a transaction on the in-loop SQLite connection (synchronous; it runs in a
    greenlet and may wait there for the pool). ``max_group`` bounds how long one group holds
    the loop.
    """

    def __init__(
        self, begin: Callable[[], AbstractContextManager[Connection]], *, max_group: int = 64
    ) -> None:
        self._begin = begin
        self.max_group = max_group
        self._pending: list[_Pending] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._next: asyncio.Task[None] | None = None  # the flush that will take what is pending
        self.groups = 0  # transactions committed (or attempted), for tests and diagnostics
        self.works = 0

    async def run(self, work: Callable[[Connection], T]) -> T:
        """``work(connection)`` in a transaction shared with this turn's other works."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append(_Pending(work, future))
        # A flush is due unless one is already waiting to start on this loop (one that was
        # cancelled with its loop, e.g. at the end of asyncio.run, takes nothing).
        upcoming = self._next
        if upcoming is None or upcoming.done() or upcoming.get_loop() is not loop:
            self._schedule()
        return await future

    def _schedule(self) -> None:
        task = asyncio.create_task(self._flush(), name="specway-group-commit")
        self._next = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush(self) -> None:
        if self._next is asyncio.current_task():
            self._next = None  # from here on, new works need a flush of their own
        loop = asyncio.get_running_loop()
        mine: list[_Pending] = []
        others: list[_Pending] = []  # another loop's (each loop flushes its own)
        for item in self._pending:
            owner = item.future.get_loop()
            if item.future.done() or owner.is_closed():
                continue  # its caller gave up, or its loop is gone: dropped unrun
            (mine if owner is loop else others).append(item)
        batch, rest = mine[: self.max_group], mine[self.max_group :]
        self._pending = others + rest
        if rest:  # more than one group's worth: the rest go next
            self._schedule()
        if not batch:
            return
        try:
            await greenlet_spawn(self._run_group, batch)
        except BaseException as exc:
            # The group's transaction is gone (or was never had): no write of it persisted.
            for item in batch:
                if not item.future.done():
                    if isinstance(exc, asyncio.CancelledError):
                        item.future.cancel()
                    else:
                        item.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise

    def _run_group(self, batch: list[_Pending]) -> None:
        committed: list[tuple[_Pending, Any]] = []
        with self._begin() as connection:
            raw = connection.connection.driver_connection
            assert raw is not None
            control = _Control(connection, raw.cursor())
            if not raw.in_transaction:
                # IMMEDIATE: the write lock is taken (waiting out the busy timeout) before the
                # first statement. A deferred BEGIN whose work reads first (a guard, a
                # uniqueness check) fails at once with "database is locked" when another
                # process commits between that read and the write: SQLite cannot upgrade a
                # read snapshot another writer has made stale, and the busy timeout does not
                # apply to that case.
                control("BEGIN IMMEDIATE")
            for item in batch:
                if item.future.done():  # its caller was cancelled while it waited
                    continue
                control(f"SAVEPOINT {_SAVEPOINT}")
                try:
                    result = item.work(connection)
                except Exception as exc:
                    if not raw.in_transaction:
                        raise  # SQLite rolled back the whole transaction: the group fails
                    control(f"ROLLBACK TO {_SAVEPOINT}")
                    control(f"RELEASE {_SAVEPOINT}")
                    item.future.set_exception(exc)
                    continue
                control(f"RELEASE {_SAVEPOINT}")  # fails if the work lost the transaction
                committed.append((item, result))
            self.groups += 1
            self.works += len(committed)
        # Committed (leaving the block commits): now, and only now, the callers hear of it.
        for item, result in committed:
            if not item.future.done():
                item.future.set_result(result)
