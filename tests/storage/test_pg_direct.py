"""``specway.storage.pg_direct``: its pool under contention, cancellation and errors, and
``combine`` (several writes as one statement)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from specway.storage.pg_direct import PgDirect, combine


def test_combine_renumbers_placeholders() -> None:
    sql, args = combine(
        [("INSERT INTO a VALUES ($1, $2)", [1, 2]), ("INSERT INTO b VALUES ($1)", [3])]
    )
    assert sql == "WITH w0 AS (INSERT INTO a VALUES ($1, $2)) INSERT INTO b VALUES ($3)"
    assert args == [1, 2, 3]
    assert combine([("SELECT $1", [1])]) == ("SELECT $1", [1])
    with pytest.raises(ValueError, match="literals"):
        combine([("INSERT INTO a VALUES ('$1')", []), ("INSERT INTO b VALUES ($1)", [3])])


pytestmark = pytest.mark.postgres


def _direct(url: str, size: int, timeout: float = 5.0) -> PgDirect:
    return PgDirect(make_url(url), pool_size=size, timeout=timeout)


def test_pool_of_one_serves_concurrent_statements(postgres_url: str) -> None:
    direct = _direct(postgres_url, 1)

    async def run() -> list[int]:
        try:
            rows = await asyncio.gather(
                *(direct.fetch("SELECT $1::int AS n, pg_sleep(0.01)", [i]) for i in range(5))
            )
            return [row[0]["n"] for row in rows]
        finally:
            await direct.close()

    assert asyncio.run(run()) == [0, 1, 2, 3, 4]
    assert direct.statements == 5


def test_cancelled_statement_drops_its_connection(postgres_url: str) -> None:
    direct = _direct(postgres_url, 1)

    async def run() -> int:
        try:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.1):
                    await direct.fetch("SELECT pg_sleep(5)", [])
            pool = direct.pool()
            assert pool._open == 0  # closed, not put back mid-statement
            return int((await direct.fetch("SELECT 7 AS n", []))[0]["n"])
        finally:
            await direct.close()

    assert asyncio.run(run()) == 7


def test_waiting_for_a_connection_times_out(postgres_url: str) -> None:
    direct = _direct(postgres_url, 1, timeout=0.2)

    async def run() -> None:
        try:
            slow = asyncio.create_task(direct.fetch("SELECT pg_sleep(1)", []))
            await asyncio.sleep(0.05)
            with pytest.raises(TimeoutError):
                await direct.fetch("SELECT 1", [])
            await slow
            assert (await direct.fetch("SELECT 1 AS n", []))[0]["n"] == 1
        finally:
            await direct.close()

    asyncio.run(run())


def test_errors_are_sqlalchemys(postgres_url: str) -> None:
    direct = _direct(postgres_url, 2)

    async def run() -> None:
        try:
            await direct.execute("CREATE TABLE t (id int PRIMARY KEY)", [])
            await direct.execute("INSERT INTO t VALUES ($1)", [1])
            with pytest.raises(IntegrityError):
                await direct.execute("INSERT INTO t VALUES ($1)", [1])
            # the connection stays in use after a server error
            assert direct.pool()._open == 1
            await direct.executemany("INSERT INTO t VALUES ($1)", [[2], [3]])
            rows = await direct.fetch("SELECT count(*) AS n FROM t", [])
            assert rows[0]["n"] == 3
        finally:
            await direct.close()

    asyncio.run(run())


def test_unreachable_server_is_an_outage() -> None:
    from specway.storage.outage import is_outage

    direct = _direct("postgresql+asyncpg://postgres@127.0.0.1:1/none", 1, timeout=1.0)

    async def run() -> BaseException:
        try:
            await direct.fetch("SELECT 1", [])
        except Exception as error:
            return error
        finally:
            await direct.close()
        raise AssertionError("connected to port 1")

    error = asyncio.run(run())
    assert is_outage(error) or isinstance(error, OperationalError)


def test_connection_lost_while_idle_is_not_handed_out(postgres_url: str) -> None:
    """After the server ends a pooled connection (a restart, an idle timeout), the next
    statement gets a new connection instead of an error."""
    import asyncpg

    direct = _direct(postgres_url, 2)
    admin_dsn = postgres_url.replace("postgresql+asyncpg", "postgresql")

    async def run() -> int:
        try:
            pid = (await direct.fetch("SELECT pg_backend_pid() AS pid", []))[0]["pid"]
            admin = await asyncpg.connect(admin_dsn)
            try:
                await admin.execute("SELECT pg_terminate_backend($1)", pid)
            finally:
                await admin.close()
            await asyncio.sleep(0.2)  # the loop sees the connection's end
            return int((await direct.fetch("SELECT pg_backend_pid() AS pid", []))[0]["pid"])
        finally:
            await direct.close()

    assert asyncio.run(run()) > 0


def test_connection_ended_mid_statement_is_an_outage_and_dropped(postgres_url: str) -> None:
    """A statement whose connection the server ends (shutdown, ``pg_terminate_backend``) is
    an outage (503), and its connection is not handed out again."""
    import asyncpg

    from specway.storage.outage import is_outage

    direct = _direct(postgres_url, 1)
    admin_dsn = postgres_url.replace("postgresql+asyncpg", "postgresql")

    async def run() -> BaseException:
        try:
            pid = (await direct.fetch("SELECT pg_backend_pid() AS pid", []))[0]["pid"]
            slow = asyncio.create_task(direct.fetch("SELECT pg_sleep(5)", []))
            await asyncio.sleep(0.2)
            admin = await asyncpg.connect(admin_dsn)
            try:
                await admin.execute("SELECT pg_terminate_backend($1)", pid)
            finally:
                await admin.close()
            error = await asyncio.gather(slow, return_exceptions=True)
            assert direct.pool()._open == 0
            assert (await direct.fetch("SELECT 1 AS n", []))[0]["n"] == 1
            return error[0]
        finally:
            await direct.close()

    error = asyncio.run(run())
    assert isinstance(error, OperationalError), repr(error)
    assert is_outage(error)


def test_guarded_inserts_run_unless_the_guard_finds_rows() -> None:
    from specway.storage.pg_direct import guarded

    sql, args = guarded(
        ("SELECT e.id FROM e WHERE e.org = $1", ["o"]),
        [("INSERT INTO a (x, y) VALUES ($1::INTEGER, $2::JSON)", [1, "{}"])],
    )
    assert sql == (
        "WITH g AS (SELECT e.id FROM e WHERE e.org = $1), "
        "w1 AS (INSERT INTO a (x, y) SELECT $2::INTEGER, $3::JSON "
        "WHERE NOT EXISTS (SELECT 1 FROM g)) SELECT * FROM g"
    )
    assert args == ["o", 1, "{}"]
    assert guarded(("SELECT 1", []), [("UPDATE a SET x = $1", [1])]) is None
