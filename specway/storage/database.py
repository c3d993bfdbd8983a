"""``Database``: the async engine and sessions for SQLite (default) or PostgreSQL, by URL."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool, StaticPool
from sqlalchemy.util import greenlet_spawn

from specway import compat
from specway.errors import ConfigError, StorageError
from specway.jsonify import column_dumps, column_loads
from specway.storage.checkpoint import JOURNAL_SIZE_LIMIT, WalCheckpointer
from specway.storage.group_commit import GroupCommit
from specway.storage.pg_direct import PgDirect, combine, guarded
from specway.storage.prepared import Prepared, Records
from specway.storage.sqlite_inloop import FAST, NO_AWAIT, InLoopSQLiteDialect, in_loop_url

if TYPE_CHECKING:
    from specway.spec import SpecModel

logger = logging.getLogger("specway.storage")

T = TypeVar("T")
# One write of :meth:`Database.write`: a prebuilt DML statement and its parameters (a list:
# one execution per mapping).
Write = tuple[Prepared, Mapping[str, Any] | list[dict[str, Any]]]


class Database:
    """One engine per app instance. ``session()`` yields an ``AsyncSession``."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        timeout: float = 5.0,
        fast_paths: bool | None = None,
    ) -> None:
        try:
            parsed = make_url(url)
        except Exception as exc:
            raise ConfigError(f"SPECWAY_DATABASE_URL is not a database URL: {exc}") from None
        self.url = url
        self.dialect = parsed.get_backend_name()
        # The hand-built statement paths (SQLite's raw cursor, PostgreSQL's asyncpg pool);
        # off (SPECWAY_FAST_PATHS=0): SQLAlchemy's own paths throughout, for debugging.
        self.fast_paths = compat.fast_paths() if fast_paths is None else fast_paths
        self.pg: PgDirect | None = None
        self.timeout = timeout
        kwargs: dict[str, Any] = {}
        # File SQLite: reads run on a read-only connection of their own (see read()).
        self._reads_apart = False
        self._reader: Connection | None = None
        self._reader_pool: StaticPool | None = None
        # File SQLite: WAL checkpoints run in a thread, not inside a commit on the event loop.
        self.checkpointer: WalCheckpointer | None = None
        if self.dialect == "sqlite":
            # Run on the loop thread, one connection per process (see sqlite_inloop). A local
            # file never drops a connection: no ping per checkout.
            parsed = in_loop_url(parsed)
            kwargs["connect_args"] = {"timeout": timeout}
            if issubclass(InLoopSQLiteDialect.get_pool_class(parsed), AsyncAdaptedQueuePool):
                kwargs.update(pool_size=1, max_overflow=0, pool_timeout=timeout)
                self._reads_apart = self.fast_paths
                if parsed.database:
                    self.checkpointer = WalCheckpointer(parsed.database)
                    weakref.finalize(self, self.checkpointer.stop, 0)
        elif self.dialect == "postgresql":
            # pre-ping: after an outage, stale pooled connections are replaced, not handed out.
            kwargs.update(
                pool_pre_ping=True,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_timeout=timeout,
            )
            kwargs["connect_args"] = {"timeout": timeout, "command_timeout": max(timeout * 6, 30)}
            if self.fast_paths:
                # SPECWAY_DB_POOL_SIZE connections, opened as needed; SQLAlchemy's pool (for
                # sessions, migrations, the CLI) opens its own only when those run.
                self.pg = PgDirect(parsed, pool_size=pool_size, timeout=timeout)
        else:
            raise ConfigError(
                f"unsupported database {self.dialect!r}: use sqlite+aiosqlite or postgresql+asyncpg"
            )
        # JSON columns are written and read with orjson (specway.jsonify).
        kwargs.update(json_serializer=column_dumps, json_deserializer=column_loads)
        # A statement error's text (logged, or quoted by an exception) never carries its bound
        # parameters: they include password hashes, API-key digests and sealed secrets.
        kwargs.update(hide_parameters=True)
        self.engine: AsyncEngine = create_async_engine(parsed, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", self._sqlite_connected)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite runs on the loop (sqlite_inloop): closing a session or connection never waits,
        # so it cannot be cut short by a cancellation and needs no task of its own. SQLAlchemy's
        # context managers close in a separate task, which keeps the one connection checked out
        # for a whole turn of the loop after every request.
        self.inline = self.dialect == "sqlite"
        # ... and its transactions asked for in one turn of the loop share one commit.
        self.group_commit = GroupCommit(self._begin) if self.inline else None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session; commit with ``async with session.begin()`` or ``await session.commit()``."""
        if not self.inline:
            async with self.sessions() as session:
                yield session
            return
        session = self.sessions()
        try:
            yield session
        finally:
            await session.close()

    async def read(self, work: Callable[[Connection], T]) -> T:
        """``work(connection)``: synchronous Core statements that only read, in one hop.

        The cheapest way to run a read: the checkout, the statements and the check-in run in a
        single greenlet switch, where an async connection takes one per call.

        A file SQLite database keeps a second connection for reads, read-only (``PRAGMA
        query_only``), and runs ``work`` on it right here: no greenlet (a switch copies the
        request's whole stack depth, about 50 us of a read in a full middleware stack), no
        checkout, and no waiting for a transaction that holds the writers' connection. In WAL
        mode it sees what is committed, never a transaction in progress. ``work`` must not block
        on anything but the database and must consume the results it opens (``.all()``,
        ``.scalar()``...): a statement left half-read would hold its snapshot for the next read.
        """
        reader = self._reader
        if reader is None and self._reads_apart:
            reader = await greenlet_spawn(self._open_reader)
        if reader is not None:
            try:
                return work(reader)
            finally:
                if reader.closed:  # invalidated (it is never revalidated): a new one next time
                    self._close_reader()
                elif reader.in_transaction():  # Core's autobegin; SQLite SELECTs begin nothing
                    reader.rollback()
        return await greenlet_spawn(self._read, work)

    def _read(self, work: Callable[[Connection], T]) -> T:
        with self.engine.sync_engine.connect() as connection:
            return work(self._no_await(connection))

    def _open_reader(self) -> Connection:
        """The read-only connection of a file SQLite database, once (run in a greenlet)."""
        if self._reader is not None:
            return self._reader
        sync_engine = self.engine.sync_engine
        # The writers' connection first: it makes the file and puts it in WAL mode.
        with sync_engine.connect():
            pass
        dialect = sync_engine.dialect
        cargs, cparams = dialect.create_connect_args(sync_engine.url)
        on_connect = dialect.on_connect_url(sync_engine.url)

        def connect() -> Any:
            dbapi_connection = dialect.connect(*cargs, **cparams)
            if on_connect is not None:
                on_connect(dbapi_connection)
            dbapi_connection.execute("PRAGMA query_only=ON")
            # It never writes, so it never checkpoints; like the writers' connection, even so.
            if self.checkpointer is not None and self.checkpointer.running:
                dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")
            return dbapi_connection

        self._reader_pool = StaticPool(connect)
        # A Connection of the main engine (its dialect, its statement plans and its event
        # listeners) around the reader's own DBAPI connection.
        # Never revalidated: that would take a connection from the main engine's pool, the
        # writers' one, and keep it.
        reader = compat.connection_without_revalidation(sync_engine, self._reader_pool.connect())
        self._reader = self._no_await(reader)
        return self._reader

    async def transaction(self, work: Callable[[Connection], T]) -> T:
        """``work(connection)`` in one transaction, in one hop (see :meth:`read`).

        Committed when ``work`` returns (this returns after the commit), rolled back if it
        raises. On SQLite, concurrent calls share one commit (:mod:`.group_commit`): ``work``
        must not commit or roll back by itself.
        """
        if self.group_commit is not None:
            return await self.group_commit.run(work)
        return await greenlet_spawn(self._transaction, work)

    def _transaction(self, work: Callable[[Connection], T]) -> T:
        with self._begin() as connection:
            return work(connection)

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A connection in a new transaction (synchronous: run it in a greenlet)."""
        with self.engine.sync_engine.begin() as connection:
            yield self._no_await(connection)

    def _no_await(self, connection: Connection) -> Connection:
        # Called from a plain greenlet, not AsyncConnection.execute: the in-loop SQLite driver
        # need not pass through an await per statement (sqlite_inloop.NO_AWAIT), and
        # prebuilt statements may take its raw cursor (sqlite_inloop.FAST).
        if not self.inline:
            return connection
        return connection.execution_options(**{NO_AWAIT: True, FAST: self.fast_paths})

    # --- The store API: prebuilt statements, fast on SQLite and PostgreSQL alike ----------

    async def records(self, statement: Prepared, params: Mapping[str, Any]) -> Records:
        """``statement.records``: a SELECT's rows as response dicts, and the first row's rest.

        One round trip on PostgreSQL (asyncpg, no transaction); on SQLite the read-only
        connection's raw cursor (:meth:`read`). See ``docs/performance.md``.
        """
        pg = self.pg
        if pg is not None:
            plan = statement.plan_for(self.engine.dialect, params)
            if plan is not None and plan.records is not None:
                return plan.records(await pg.fetch(plan.sql, plan.positional(params)), params)
        return await self.read(lambda connection: statement.records(connection, params))

    async def rows(self, statement: Prepared, params: Mapping[str, Any]) -> Sequence[Any]:
        """``statement.rows``: a SELECT's rows, the selected columns' names as attributes."""
        pg = self.pg
        if pg is not None:
            plan = statement.plan_for(self.engine.dialect, params)
            if plan is not None:
                return plan.convert(await pg.fetch(plan.sql, plan.positional(params)))
        return await self.read(lambda connection: statement.rows(connection, params))

    async def write(self, writes: Sequence[Write]) -> None:
        """Every write in one transaction: all of them commit, or none.

        PostgreSQL: one statement, so one round trip (``pg_direct.combine``; one write of many
        rows is an ``executemany``); SQLite: one :meth:`transaction`, sharing its commit with
        the other writes of the same turn of the loop.
        """
        pg = self.pg
        if pg is not None:
            compiled = self._pg_statements(writes)
            if compiled is not None:
                if not compiled:
                    return
                if len(compiled) > 1 and len(writes) == 1 and isinstance(writes[0][1], list):
                    await pg.executemany(compiled[0][0], [args for _, args in compiled])
                else:
                    await pg.execute(*combine(compiled))
                return
        await self.transaction(lambda connection: _run_writes(connection, writes))

    async def write_unless(
        self, guard: Prepared, guard_params: Mapping[str, Any], writes: Sequence[Write]
    ) -> Sequence[Any] | None:
        """The writes, in one transaction, unless the SELECT ``guard`` finds rows: ``None``
        when written, else the guard's rows (and nothing is written).

        For a write that needs more only in some cases, e.g. a project whose event needs one
        delivery per webhook endpoint of its organisation (most have none): the common case
        is one statement on PostgreSQL, ``WITH g AS (guard), w0 AS (INSERT ... SELECT ...
        WHERE NOT EXISTS (SELECT 1 FROM g)), ... SELECT * FROM g`` (single-row INSERTs only;
        anything else reads the guard first); on SQLite one transaction.
        """
        pg = self.pg
        if pg is not None:
            dialect = self.engine.dialect
            plan = guard.plan_for(dialect, guard_params)
            compiled = self._pg_statements(writes)
            if plan is not None and compiled is not None:
                sql_args = guarded(
                    (plan.sql, plan.positional(guard_params)),
                    [(sql, args) for sql, args in compiled],
                )
                if sql_args is not None:
                    found = plan.convert(await pg.fetch(*sql_args))
                    return found or None
            rows = await self.rows(guard, guard_params)
            if rows:
                return rows
            await self.write(writes)
            return None

        def work(connection: Connection) -> Sequence[Any] | None:
            rows = guard.rows(connection, guard_params)
            if rows:
                return rows
            _run_writes(connection, writes)
            return None

        return await self.transaction(work)

    def _pg_statements(self, writes: Sequence[Write]) -> list[tuple[str, Sequence[Any]]] | None:
        dialect = self.engine.dialect
        compiled: list[tuple[str, Sequence[Any]]] = []
        for statement, params in writes:
            for one in params if isinstance(params, list) else (params,):
                plan = statement.plan_for(dialect, one)
                if plan is None:
                    return None
                compiled.append((plan.sql, plan.positional(one)))
        return compiled

    async def check(self) -> None:
        """Raise :class:`StorageError` unless a ``SELECT 1`` answers within the timeout."""
        try:
            async with asyncio.timeout(self.timeout), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            where = self.redacted(self.url)
            reason = f"{type(exc).__name__}: {_first_line(exc)}"
            raise StorageError(f"database unreachable at {where}: {reason}") from exc

    async def migrate(self, spec: SpecModel | str | Path | None = None) -> None:
        """Apply the migrations of every owner ``spec`` enables: core, plugins, project.

        ``spec`` is a loaded model or a spec file's path; ``None`` means the spec at
        ``SPECWAY_SPEC_PATH`` (default ``./openapi.yaml``). See :mod:`specway.storage.migrate`.
        A broken revision file is a ``ConfigError``; a failing one a ``StorageError``.
        """
        from specway.storage.migrate import sources_of, upgrade

        sources = sources_of(spec)
        try:
            async with self.engine.begin() as conn:
                if self.dialect == "postgresql":
                    # Gateways starting together on a fresh database migrate one at a time
                    # (the lock ends with the transaction); the later ones find it at head.
                    await conn.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                await conn.run_sync(upgrade, sources)
        except (SQLAlchemyError, OSError) as exc:
            raise StorageError(
                f"migration failed: {type(exc).__name__}: {_first_line(exc)}"
            ) from exc

    @staticmethod
    def redacted(url: str) -> str:
        """``url`` with any password hidden, for messages and logs."""
        try:
            return make_url(url).render_as_string(hide_password=True)
        except Exception:
            return "<invalid url>"

    async def dispose(self) -> None:
        self._close_reader()
        if self.pg is not None:
            await self.pg.close()
        await self.engine.dispose()
        if self.checkpointer is not None:
            await asyncio.to_thread(self.checkpointer.stop)

    def _close_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()
        if self._reader_pool is not None:
            self._reader_pool.dispose()
            self._reader_pool = None

    def _sqlite_connected(self, dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A connection made after dispose() keeps SQLite's own checkpoints.
        if self.checkpointer is not None and self.checkpointer.start():
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
        cursor.close()


def _run_writes(connection: Connection, writes: Sequence[Write]) -> None:
    for statement, params in writes:
        if not isinstance(params, list) or params:
            statement.run(connection, params)


MIGRATION_LOCK = 0x5370_6563_7761_79  # "Specway": the advisory lock of migrations


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc) or type(exc).__name__
    return text.strip().splitlines()[0][:300] if text.strip() else type(exc).__name__
