"""SQLite for the async engine, run on the event loop's own thread.

aiosqlite gives every connection a thread and hops to it for each call (execute, fetch, commit):
on a small machine that costs more than the query itself, and concurrent writers on separate
connections wait out SQLite's busy timeout in those threads. A local SQLite statement takes
microseconds, so specway runs the standard ``sqlite3`` module directly inside SQLAlchemy's
greenlet and gives each process a single connection: transactions queue for it on the event loop
(``AsyncAdaptedQueuePool``, never blocking the loop) instead of on SQLite's file lock.

The dialect is registered as ``sqlite+specway``; :class:`specway.storage.database.Database`
uses it for every ``sqlite`` URL, ``sqlite+aiosqlite`` included.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util import await_only

from specway.compat import FreeFirstQueuePool, SoftCloseKeepsRows, is_file_sqlite

DRIVER = "specway"


class InLoopSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite, marked async: its calls never wait, so the greenlet runs them inline."""

    driver = DRIVER
    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        # A file: one connection per process, checked out through an asyncio queue. Memory:
        # the one shared connection (a second connection would see another, empty database).
        return InLoopPool if is_file_sqlite(url) else pool.StaticPool

    # AsyncConnection.execute insists that its call awaited something; these statements never
    # need to, so each one passes through an await that returns at once (no loop iteration).
    # Work run through Database.read/transaction marks its connection NO_AWAIT and skips it.
    def do_execute(self, cursor: Any, statement: Any, parameters: Any, context: Any = None) -> None:
        _pass_await(context)
        cursor.execute(statement, parameters)

    def do_execute_no_params(self, cursor: Any, statement: Any, context: Any = None) -> None:
        _pass_await(context)
        cursor.execute(statement)

    def do_executemany(
        self, cursor: Any, statement: Any, parameters: Any, context: Any = None
    ) -> None:
        _pass_await(context)
        cursor.executemany(statement, parameters)

    def create_connect_args(self, url: URL) -> Any:
        args, kwargs = super().create_connect_args(url)
        # Connections are made and used on the loop thread but may be closed by the pool's
        # finaliser from another one.
        kwargs["check_same_thread"] = False
        kwargs["factory"] = _Connection
        return args, kwargs


NO_AWAIT = "specway_no_await"
# An execution option: the connection may take the hand-built statement path
# (``specway.storage.prepared``); ``Database`` sets it unless ``SPECWAY_FAST_PATHS=0``.
FAST = "specway_fast"


class InLoopPool(FreeFirstQueuePool):
    """The queue pool of the one connection, which hands it out without waiting when it is free
    (see :class:`specway.compat.FreeFirstQueuePool`)."""


async def _ready() -> None:
    return None


def _pass_await(context: Any) -> None:
    if context is None or not context.execution_options.get(NO_AWAIT):
        await_only(_ready())


class _Cursor(SoftCloseKeepsRows, sqlite3.Cursor):
    """The driver's cursor: the async result's hook after execute keeps the rows."""


class _Connection(sqlite3.Connection):
    def cursor(self, factory: Any = _Cursor) -> Any:
        return super().cursor(factory)


registry.register(f"sqlite.{DRIVER}", __name__, "InLoopSQLiteDialect")


def in_loop_url(url: URL) -> URL:
    """``url`` with its driver replaced by the in-loop one (``sqlite+aiosqlite`` included)."""
    return url.set(drivername=f"sqlite+{DRIVER}")
