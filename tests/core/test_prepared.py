"""``Prepared`` statements on the in-loop SQLite connection behave as SQLAlchemy's execute."""

from __future__ import annotations

import asyncio
import gc
import math
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from specway.storage.database import Database
from specway.storage.prepared import Prepared
from specway.storage.sqltime import rfc3339_text

T = TypeVar("T")
METADATA = MetaData()
THINGS = Table(
    "things",
    METADATA,
    Column("id", String(20), primary_key=True),
    Column("data", JSON),
    Column("at", DateTime(timezone=True)),
    Column("flag", Boolean, nullable=False),
    Column("n", Integer),
    Column("label", String(20), default=lambda: "from-python"),
)
INSERT = Prepared(insert(THINGS))
SELECT = Prepared(select(THINGS).where(THINGS.c.flag.is_(True), THINGS.c.n >= bindparam("min")))
AT = datetime(2024, 2, 26, 12, 30, 1, 250_000, tzinfo=UTC)
ROWS: list[dict[str, Any]] = [
    {"id": "a", "data": {"k": [1, 2.5, None]}, "at": AT, "flag": True, "n": 1, "label": "x"},
    {"id": "b", "data": None, "at": None, "flag": True, "n": 2, "label": None},
    {"id": "c", "data": [], "at": AT, "flag": False, "n": 3, "label": "z"},
]


def _run(tmp_path: Path, work: Callable[[Database], Any]) -> Any:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/prepared.db", timeout=2.0)

    async def run() -> Any:
        async with database.engine.begin() as connection:
            await connection.run_sync(METADATA.create_all)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _both(database: Database, direct: Callable[[Connection], T]) -> Any:
    """``direct`` run through Database.transaction (fast path) and through run_sync (not)."""

    async def go() -> tuple[T, T]:
        fast = await database.transaction(direct)
        async with database.engine.begin() as connection:
            slow = await connection.run_sync(direct)
        return fast, slow

    return go()


def test_rows_written_and_read_match_sqlalchemys_own_path(tmp_path: Path) -> None:
    seen: list[object] = []

    async def work(database: Database) -> Any:
        event.listen(
            database.engine.sync_engine,
            "before_cursor_execute",
            lambda conn, cursor, sql, params, context, many: seen.append(context),
        )
        await database.transaction(lambda c: INSERT.run(c, ROWS[:2]))  # executemany
        await database.transaction(lambda c: INSERT.run(c, ROWS[2]))
        return await _both(database, lambda c: SELECT.rows(c, {"min": 0}))

    fast, slow = _run(tmp_path, work)
    assert [tuple(r) for r in fast] == [tuple(r) for r in slow]
    assert [r.id for r in fast] == ["a", "b"]
    first, second = fast
    assert first.data == {"k": [1, 2.5, None]}
    assert first.flag is True
    assert first.at == AT.replace(tzinfo=None)  # SQLite keeps naive UTC, as SQLAlchemy reads it
    assert second.data is None
    assert second.at is None
    assert second.label is None
    # The fast path fired SQLAlchemy's cursor events (context None); the other had a context.
    assert seen[:2] == [None, None]
    assert seen[-1] is not None


def test_json_none_is_stored_as_sqlalchemy_stores_it(tmp_path: Path) -> None:
    async def work(database: Database) -> Any:
        await database.transaction(lambda c: INSERT.run(c, ROWS[1]))
        async with database.engine.begin() as connection:
            await connection.execute(insert(THINGS), {**ROWS[1], "id": "b2"})
        return await database.read(
            lambda c: c.exec_driver_sql("SELECT id, data FROM things ORDER BY id").all()
        )

    assert [tuple(r) for r in _run(tmp_path, work)] == [("b", "null"), ("b2", "null")]


def test_errors_are_sqlalchemys_and_hide_the_values(tmp_path: Path) -> None:
    async def work(database: Database) -> Any:
        secret = {**ROWS[0], "data": {"token": "s3cr3t-value"}}
        await database.transaction(lambda c: INSERT.run(c, secret))
        with pytest.raises(IntegrityError) as caught:
            await database.transaction(lambda c: INSERT.run(c, secret))
        # The failed transaction rolled back; the first row is there once.
        count = await database.read(lambda c: len(SELECT.rows(c, {"min": 0})))
        return caught.value, count

    error, count = _run(tmp_path, work)
    assert "UNIQUE constraint failed" in str(error)
    assert "s3cr3t-value" not in str(error)
    assert count == 1


def test_python_side_defaults_are_left_to_sqlalchemy(tmp_path: Path) -> None:
    async def work(database: Database) -> Any:
        row = {k: v for k, v in ROWS[0].items() if k != "label"}
        await database.transaction(lambda c: INSERT.run(c, row))
        return await database.read(lambda c: SELECT.rows(c, {"min": 0})[0].label)

    assert _run(tmp_path, work) == "from-python"


def test_each_engine_gets_its_own_plans(tmp_path: Path) -> None:
    """Type processors belong to an engine's dialect: a plan is never shared between engines."""
    statement = Prepared(select(THINGS.c.id).where(THINGS.c.n >= bindparam("min")))
    databases = [
        Database(f"sqlite+aiosqlite:///{tmp_path}/{name}.db", timeout=2.0)
        for name in ("first", "second")
    ]

    async def run() -> tuple[list[list[str]], int]:
        found = []
        for name, database in zip(("first", "second"), databases, strict=True):
            async with database.engine.begin() as connection:
                await connection.run_sync(METADATA.create_all)
            await database.transaction(lambda c, n=name: INSERT.run(c, {**ROWS[0], "id": n}))
            found.append(
                await database.read(lambda c: [r.id for r in statement.rows(c, {"min": 0})])
            )
        plans = len(statement._plans)
        for database in databases:
            await database.dispose()
        return found, plans

    found, plans = asyncio.run(run())
    assert found == [["first"], ["second"]]
    assert plans == 2


def test_rows_without_conversions_and_with_many_columns_keep_their_names(tmp_path: Path) -> None:
    # Columns no type converts (strings, integers) take the plain path of the generated row
    # converter; a select of one converting column among many keeps every position.
    plain = Prepared(select(THINGS.c.id, THINGS.c.n, THINGS.c.label).order_by(THINGS.c.id))
    mixed = Prepared(select(THINGS.c.n, THINGS.c.id, THINGS.c.flag).order_by(THINGS.c.id))

    async def work(database: Database) -> Any:
        await database.transaction(lambda c: INSERT.run(c, ROWS))
        return await _both(database, lambda c: (plain.rows(c, {}), mixed.rows(c, {})))

    (fast_plain, fast_mixed), (slow_plain, slow_mixed) = _run(tmp_path, work)
    assert [tuple(r) for r in fast_plain] == [tuple(r) for r in slow_plain]
    assert [tuple(r) for r in fast_plain] == [("a", 1, "x"), ("b", 2, None), ("c", 3, "z")]
    assert [(r.n, r.id, r.flag) for r in fast_mixed] == [
        (1, "a", True),
        (2, "b", True),
        (3, "c", False),
    ]
    assert [tuple(r) for r in fast_mixed] == [tuple(r) for r in slow_mixed]
    assert fast_mixed[0]._asdict() == {"n": 1, "id": "a", "flag": True}


RECORD = Prepared(
    select(
        THINGS.c.id,
        THINGS.c.data.label("payload"),
        rfc3339_text(THINGS.c.at).label("at"),
        THINGS.c.n,
        func.count().over().label("total"),
    ).order_by(THINGS.c.id),
    record=("id", "payload", "at"),
    defaults={"payload": dict},
)


def test_records_are_dicts_of_the_record_columns_on_both_paths(tmp_path: Path) -> None:
    async def work(database: Database) -> Any:
        await database.transaction(lambda c: INSERT.run(c, ROWS))
        return await _both(database, lambda c: RECORD.records(c, {}))

    fast, slow = _run(tmp_path, work)
    assert fast == slow
    records, rest = fast
    assert records == [
        {"id": "a", "payload": {"k": [1, 2.5, None]}, "at": "2024-02-26T12:30:01Z"},
        {"id": "b", "payload": {}, "at": None},  # JSON null -> the default, a new dict
        {"id": "c", "payload": [], "at": "2024-02-26T12:30:01Z"},
    ]
    assert rest == (1, 3)  # the first row's n and total


def test_records_of_an_empty_result(tmp_path: Path) -> None:
    async def work(database: Database) -> Any:
        return await _both(database, lambda c: RECORD.records(c, {}))

    assert _run(tmp_path, work) == (([], ()), ([], ()))


def test_inline_conversions_fall_back_for_values_written_by_others(tmp_path: Path) -> None:
    """Text another writer stored (an offset, no fraction, a bare number, NaN) converts as the
    type processors convert it: the generated fast expressions only cover the usual shapes."""
    odd = [
        ("o1", '{"x": NaN}', "2024-02-26T14:30:01+02:00"),
        ("o2", "5", "2024-02-26 12:30:01"),
        ("o3", "[1]", "not a time"),
    ]

    async def work(database: Database) -> Any:
        async with database.engine.begin() as connection:
            for id_, data, at in odd:
                await connection.exec_driver_sql(
                    "INSERT INTO things (id, data, at, flag) VALUES (?, ?, ?, 1)", (id_, data, at)
                )
        return await _both(database, lambda c: (RECORD.records(c, {}), SELECT_ALL.rows(c, {})))

    (fast, fast_rows), (slow, slow_rows) = _run(tmp_path, work)
    assert fast == slow
    assert [tuple(r) for r in fast_rows] == [tuple(r) for r in slow_rows]
    records, _ = fast
    assert records[0]["at"] == "2024-02-26T12:30:01Z"
    assert math.isnan(records[0]["payload"]["x"])
    assert records[1] == {"id": "o2", "payload": 5, "at": "2024-02-26T12:30:01Z"}
    assert records[2] == {"id": "o3", "payload": [1], "at": None}


SELECT_ALL = Prepared(
    select(THINGS.c.id, THINGS.c.data, rfc3339_text(THINGS.c.at)).order_by(THINGS.c.id)
)


def test_record_must_name_the_leading_columns() -> None:
    statement = select(THINGS.c.id, THINGS.c.n)
    with pytest.raises(ValueError, match="leading columns"):
        Prepared(statement, record=("n",))
    with pytest.raises(ValueError, match="not in the record"):
        Prepared(statement, record=("id",), defaults={"n": int})
    with pytest.raises(ValueError, match="not in the record"):
        Prepared(statement, record=("id",), bound={"n": "min"})
    with pytest.raises(ValueError, match="without record"):
        Prepared(statement, defaults={"id": str})
    with pytest.raises(ValueError, match="without record"):
        Prepared(statement, bound={"id": "x"})
    with pytest.raises(ValueError, match="leading columns"):  # a bound key is not selected
        Prepared(statement, record=("id", "n"), bound={"id": "x"})
    with pytest.raises(TypeError, match="needs a SELECT built with record"):
        Prepared(statement).records(None, {})  # type: ignore[arg-type]


def test_statements_leave_nothing_behind_on_the_connection(tmp_path: Path) -> None:
    """Each execution's cursor is released: sqlite3 keeps a list of a connection's cursors and
    purges the dead ones only for cursors made by ``Connection.cursor`` (a cursor constructed
    directly left one entry per statement, about 88 bytes, for good)."""

    async def work(database: Database) -> int:
        await database.transaction(lambda c: INSERT.run(c, ROWS))

        def reads(connection: Connection) -> None:
            for _ in range(20_000):
                SELECT.rows(connection, {"min": 0})

        await database.read(reads)  # warm: plans compiled, caches filled
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            await database.read(reads)
            gc.collect()
            return tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()

    assert _run(tmp_path, work) < 200_000  # 1.95 MB for these 20,000 reads with the leak


BOUND = Prepared(
    select(THINGS.c.id, THINGS.c.n)
    .where(THINGS.c.label == bindparam("label"))
    .order_by(THINGS.c.id),
    record=("id", "label", "n"),
    bound={"label": "label"},
)


def test_records_take_bound_keys_from_the_parameters(tmp_path: Path) -> None:
    """A key the WHERE clause pins (``label = :label``) comes from the parameter, in its place
    among the keys, on both paths, without being selected."""

    async def work(database: Database) -> Any:
        await database.transaction(lambda c: INSERT.run(c, ROWS))
        return await _both(database, lambda c: BOUND.records(c, {"label": "x"}))

    fast, slow = _run(tmp_path, work)
    assert fast == slow == ([{"id": "a", "label": "x", "n": 1}], ())
    assert list(fast[0][0]) == ["id", "label", "n"]
