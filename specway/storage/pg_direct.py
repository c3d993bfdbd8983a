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
- a connection goes back to the pool without asyncpg's reset query (``RESET ALL``,
  ``UNLISTEN *``...), one more round trip per request: nothing here changes session state.

``Database`` opens it on first use, for ``postgresql`` URLs unless ``SPECWAY_FAST_PATHS=0``;
everything else (sessions, migrations, the CLI) keeps SQLAlchemy's engine.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import asyncpg
import orjson
from sqlalchemy import exc
from sqlalchemy.engine import URL

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


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """The pool's reset on release: nothing to send (asyncpg still rolls back an open
    transaction and drops listeners itself)."""


class PgDirect:
    """asyncpg's pool for ``url``, opened on first use; ``fetch`` and ``execute`` one statement."""

    def __init__(self, url: URL, *, pool_size: int, timeout: float) -> None:
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._pool_size = pool_size
        self._timeout = timeout
        self._pool: asyncpg.Pool | None = None
        self._opening: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Statements sent (each one round trip; an executemany counts once): for tests and
        # the benchmark's statements per request.
        self.statements = 0

    async def pool(self) -> asyncpg.Pool:
        """The pool of the running event loop (a pool made in another loop is left behind:
        its connections belong to that loop)."""
        loop = asyncio.get_running_loop()
        if self._pool is not None and self._loop is loop:
            return self._pool
        if self._opening is None or self._loop is not loop:
            self._opening = asyncio.Lock()
            self._loop = loop
            self._pool = None
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=1,
                    max_size=self._pool_size,
                    timeout=self._timeout,
                    command_timeout=max(self._timeout * 6, 30),
                    init=_init,
                    reset=_keep_session,
                )
            return self._pool

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[Any]:
        self.statements += 1
        with _translated(sql):
            async with (await self.pool()).acquire() as connection:
                return await connection.fetch(sql, *args)  # type: ignore[no-any-return]

    async def execute(self, sql: str, args: Sequence[Any]) -> None:
        self.statements += 1
        with _translated(sql):
            async with (await self.pool()).acquire() as connection:
                await connection.execute(sql, *args)

    async def executemany(self, sql: str, args: Sequence[Sequence[Any]]) -> None:
        """One statement for many parameter tuples, pipelined and atomic."""
        self.statements += 1
        with _translated(sql):
            async with (await self.pool()).acquire() as connection:
                await connection.executemany(sql, args)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if self._loop is asyncio.get_running_loop():
            await pool.close()
        else:  # its loop has ended, and its connections with it
            if self._loop is not None and not self._loop.is_closed():
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
    except (asyncpg.InterfaceError, asyncpg.PostgresConnectionError) as error:
        raise exc.OperationalError(sql, None, error, hide_parameters=True) from error
    except asyncpg.PostgresError as error:
        raise exc.DBAPIError(sql, None, error, hide_parameters=True) from error


def combine(statements: Sequence[tuple[str, Sequence[Any]]]) -> tuple[str, list[Any]]:
    """Several data-modifying statements as one: ``WITH w0 AS (s0), ... sN``.

    PostgreSQL runs every data-modifying ``WITH`` clause exactly once, all in the statement's
    snapshot and transaction: the writes commit or fail together, in one round trip. Each
    statement's ``$n`` placeholders are renumbered after the previous ones'. The statements are
    SQLAlchemy's compiled DML, whose values are all bound parameters (a quote in one would mean
    a literal the renumbering could misread: refused).
    """
    if len(statements) == 1:
        sql, args = statements[0]
        return sql, list(args)
    parts: list[str] = []
    values: list[Any] = []
    for sql, args in statements:
        if "'" in sql:
            raise ValueError(f"cannot combine a statement holding literals: {sql[:80]}")
        offset = len(values)

        def renumber(match: re.Match[str], offset: int = offset) -> str:
            return f"${int(match[1]) + offset}"

        parts.append(_PLACEHOLDER.sub(renumber, sql))
        values.extend(args)
    head = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(parts[:-1]))
    return f"WITH {head} {parts[-1]}", values
