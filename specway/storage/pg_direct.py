"""``PgDirect``: the prepared statements of the request path, run on asyncpg directly.

Through SQLAlchemy's async engine a read on PostgreSQL costs four round trips (the pool's
pre-ping, ``BEGIN``, the statement, ``ROLLBACK``) and about 150 µs of Python per statement
(greenlet hops, the execution context, the result object). Here a statement built once with
SQLAlchemy Core (:class:`specway.storage.prepared.Prepared`, compiled once per parameter shape
for the asyncpg dialect) runs on a connection of asyncpg's own pool:

- one round trip per statement, in autocommit (a single statement is its own transaction);
  a write of several rows or tables is one statement too (:func:`combine`: data-modifying
  ``WITH`` clauses, atomic as any statement);
- asyncpg prepares each statement once per connection and keeps it (its statement cache), so
  a repeated statement is a Bind/Execute, with no Parse and no plan;
- JSON comes back through orjson from asyncpg's binary format (the same codecs SQLAlchemy's
  asyncpg dialect registers, with orjson as the decoder), timestamps as the text the reads
  select (``specway.storage.sqltime``);
- a connection is taken from and put back on a plain list (:class:`_Pool`), without
  asyncpg's pool machinery or its reset query on release (``RESET ALL``, ``UNLISTEN *``...,
  one more round trip per request): nothing here changes session state.

``Database`` opens it on first use, for ``postgresql`` URLs unless ``SPECWAY_FAST_PATHS=0``;
everything else (sessions, migrations, the CLI) keeps SQLAlchemy's engine.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import asyncpg
import orjson
from sqlalchemy import exc
from sqlalchemy.engine import URL

from specway.storage.outage import OUTAGE_SQLSTATES

_PLACEHOLDER = re.compile(r"\$(\d+)")


def _jsonb_encoder(text: str) -> bytes:
    return b"\x01" + text.encode()


def _jsonb_decoder(data: bytes) -> Any:
    return orjson.loads(data[1:])


async def _init(connection: asyncpg.Connection) -> None:
    # Bind values come serialised by the JSON type's bind processor (the engine's
    # json_serializer, orjson), as SQLAlchemy's asyncpg dialect expects; results are decoded
    # here, straight from the binary format.
    await connection.set_type_codec(
        "json", encoder=str.encode, decoder=orjson.loads, schema="pg_catalog", format="binary"
    )
    await connection.set_type_codec(
        "jsonb",
        encoder=_jsonb_encoder,
        decoder=_jsonb_decoder,
        schema="pg_catalog",
        format="binary",
    )


class _Pool:
    """Up to ``size`` asyncpg connections of one event loop, handed out without ceremony.

    asyncpg's own ``Pool`` wraps each checkout in a proxy object, a holder, timeouts and a
    shielded release (about 40 µs of Python per statement, measured in the server); a request
    here takes an idle connection off a list and puts it back. A waiter is woken with a
    connection, or with ``None``: a slot is free, open one. A connection that failed other
    than by a server error (lost, cancelled mid-statement) is closed, not reused.
    """

    def __init__(self, dsn: str, size: int, timeout: float) -> None:
        self._dsn = dsn
        self._size = size
        self._timeout = timeout
        self._idle: list[asyncpg.Connection] = []
        self._waiters: collections.deque[asyncio.Future[asyncpg.Connection | None]] = (
            collections.deque()
        )
        self._open = 0
        self._closed = False

    async def acquire(self) -> asyncpg.Connection:
        while self._idle:
            connection = self._idle.pop()
            if not connection.is_closed():
                return connection
            self._open -= 1  # lost while idle (a server restart): never handed out
        if self._closed:
            raise asyncpg.InterfaceError("the pool is closed")
        if self._open >= self._size:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout(self._timeout):
                    found = await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._pass_on(waiter.result())
                else:
                    waiter.cancel()
                raise
            if found is not None:
                return found
        self._open += 1
        try:
            connection = await asyncpg.connect(
                self._dsn, timeout=self._timeout, command_timeout=max(self._timeout * 6, 30)
            )
            await _init(connection)
        except BaseException:
            self._open -= 1
            self._pass_on(None)
            raise
        return connection

    def release(self, connection: asyncpg.Connection, *, broken: bool = False) -> None:
        if broken or self._closed or connection.is_closed() or connection.is_in_transaction():
            self._open -= 1
            if not connection.is_closed():
                connection.terminate()
            self._pass_on(None)
            return
        self._pass_on(connection)

    def _pass_on(self, connection: asyncpg.Connection | None) -> None:
        """Give ``connection`` (or a free slot: ``None``) to the first live waiter."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        if connection is not None:
            self._idle.append(connection)

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for connection in idle:
            with contextlib.suppress(Exception):
                await connection.close(timeout=self._timeout)

    def terminate(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.terminate()


class PgDirect:
    """A pool of asyncpg connections for ``url``, opened on first use; ``fetch``, ``execute``
    and ``executemany`` one statement each, in autocommit."""

    def __init__(self, url: URL, *, pool_size: int, timeout: float) -> None:
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._pool_size = pool_size
        self._timeout = timeout
        self._pool: _Pool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Statements sent (each one round trip; an executemany counts once): for tests and
        # the benchmark's statements per request.
        self.statements = 0

    def pool(self) -> _Pool:
        """The pool of the running event loop (a pool made in another loop is left behind:
        its connections belong to that loop)."""
        loop = asyncio.get_running_loop()
        pool = self._pool
        if pool is None or self._loop is not loop:
            if pool is not None and self._loop is not None and not self._loop.is_closed():
                pool.terminate()
            pool = self._pool = _Pool(self._dsn, self._pool_size, self._timeout)
            self._loop = loop
        return pool

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[Any]:
        self.statements += 1
        pool = self.pool()
        connection = await pool.acquire()
        try:
            with _translated(sql):
                rows: list[Any] = await connection.fetch(sql, *args)
        except BaseException as error:
            pool.release(connection, broken=not _connection_survives(error))
            raise
        pool.release(connection)
        return rows

    async def execute(self, sql: str, args: Sequence[Any]) -> None:
        self.statements += 1
        pool = self.pool()
        connection = await pool.acquire()
        try:
            with _translated(sql):
                await connection.execute(sql, *args)
        except BaseException as error:
            pool.release(connection, broken=not _connection_survives(error))
            raise
        pool.release(connection)

    async def executemany(self, sql: str, args: Sequence[Sequence[Any]]) -> None:
        """One statement for many parameter tuples, pipelined and atomic."""
        self.statements += 1
        pool = self.pool()
        connection = await pool.acquire()
        try:
            with _translated(sql):
                await connection.executemany(sql, args)
        except BaseException as error:
            pool.release(connection, broken=not _connection_survives(error))
            raise
        pool.release(connection)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if self._loop is asyncio.get_running_loop():
            await pool.close()
        elif self._loop is not None and not self._loop.is_closed():
            pool.terminate()


@contextmanager
def _translated(sql: str) -> Iterator[None]:
    """asyncpg's errors as SQLAlchemy's engine raises them for the same failure, so callers
    catch one family whichever path ran: a constraint violation is ``IntegrityError``, a lost
    or refused connection ``OperationalError`` (SQLSTATE kept on the cause, which
    ``specway.storage.outage`` reads), anything else from the server ``DBAPIError``.
    Parameters are never shown: they may hold secrets."""
    try:
        yield
    except asyncpg.IntegrityConstraintViolationError as error:
        raise exc.IntegrityError(sql, None, error, hide_parameters=True) from error
    except (
        asyncpg.InterfaceError,
        asyncpg.PostgresConnectionError,
        asyncpg.exceptions.InternalClientError,
    ) as error:
        raise exc.OperationalError(sql, None, error, hide_parameters=True) from error
    except asyncpg.PostgresError as error:
        if _is_outage_state(error):  # the server shutting down, out of connections...
            raise exc.OperationalError(sql, None, error, hide_parameters=True) from error
        raise exc.DBAPIError(sql, None, error, hide_parameters=True) from error


def _is_outage_state(error: BaseException) -> bool:
    sqlstate = getattr(error, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith(OUTAGE_SQLSTATES)


def _connection_survives(error: BaseException) -> bool:
    """Whether a connection that raised ``error`` may serve again: only after an error the
    server reported about the statement itself (a constraint, a bad value), never after a
    lost connection, an outage, a client-side protocol error or a cancellation, which can
    leave an operation in progress on it."""
    if not isinstance(error, exc.DBAPIError) or isinstance(error, exc.OperationalError):
        return False
    return isinstance(error.orig, asyncpg.PostgresError) and not _is_outage_state(error.orig)


def combine(statements: Sequence[tuple[str, Sequence[Any]]]) -> tuple[str, list[Any]]:
    """Several data-modifying statements as one: ``WITH w0 AS (s0), ... sN``.

    PostgreSQL runs every data-modifying ``WITH`` clause exactly once, all in the statement's
    snapshot and transaction: the writes commit or fail together, in one round trip. Each
    statement's ``$n`` placeholders are renumbered after the previous ones'. The statements are
    SQLAlchemy's compiled DML, whose values are all bound parameters (a quote in one would mean
    a literal the renumbering could misread: refused). The combined text is kept per sequence
    of statements (a request path repeats a few), so asyncpg's cache finds it prepared.
    """
    if len(statements) == 1:
        sql, args = statements[0]
        return sql, list(args)
    key = tuple(sql for sql, _ in statements)
    combined = _COMBINED.get(key)
    if combined is None:
        combined = _combine_text(key)
        if len(_COMBINED) < 512:
            _COMBINED[key] = combined
    return combined, [value for _, args in statements for value in args]


_COMBINED: dict[tuple[str, ...], str] = {}


def _combine_text(statements: Sequence[str]) -> str:
    parts: list[str] = []
    offset = 0
    for sql in statements:
        if "'" in sql:
            raise ValueError(f"cannot combine a statement holding literals: {sql[:80]}")
        numbers = [int(n) for n in _PLACEHOLDER.findall(sql)]

        def renumber(match: re.Match[str], offset: int = offset) -> str:
            return f"${int(match[1]) + offset}"

        parts.append(_PLACEHOLDER.sub(renumber, sql))
        offset += max(numbers, default=0)
    head = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(parts[:-1]))
    return f"WITH {head} {parts[-1]}"


_VALUES = " VALUES ("


def guarded(
    guard: tuple[str, Sequence[Any]], inserts: Sequence[tuple[str, Sequence[Any]]]
) -> tuple[str, list[Any]] | None:
    """One statement running ``inserts`` unless the SELECT ``guard`` finds rows, and
    returning the guard's rows: ``WITH g AS (guard), w0 AS (INSERT INTO t (...) SELECT ...
    WHERE NOT EXISTS (SELECT 1 FROM g)), ... SELECT * FROM g``. ``None`` when an insert is
    not a single-row ``INSERT ... VALUES (...)`` as SQLAlchemy compiles it."""
    parts: list[str] = []
    for sql, _ in inserts:
        if not sql.startswith("INSERT INTO ") or sql.count(_VALUES) != 1 or not sql.endswith(")"):
            return None
        head, _, values = sql.partition(_VALUES)
        parts.append(f"{head} SELECT {values[:-1]} WHERE NOT EXISTS (SELECT 1 FROM g)")
    key = ("guarded", guard[0], *parts)
    text = _COMBINED.get(key)
    if text is None:
        # w0 AS (guard), w1 AS (insert)... then the guard's rows; w0 named g.
        text = _combine_text([guard[0], *parts, "SELECT * FROM g"]).replace(
            "WITH w0 AS (", "WITH g AS (", 1
        )
        if len(_COMBINED) < 512:
            _COMBINED[key] = text
    return text, [*guard[1], *(value for _, args in inserts for value in args)]
