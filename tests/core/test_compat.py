"""One test per private Connexion / SQLAlchemy API specway uses (``specway.compat``), against
the pinned versions: an upgrade that moves one fails here, by name."""

from __future__ import annotations

import asyncio
import importlib
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool
from sqlalchemy.util import queue as sqla_queue

from specway import compat
from specway.storage.database import Database


def test_connexion_current_scope_is_the_scope_itself() -> None:
    from connexion.context import _scope

    scope = {"type": "http", "path": "/x"}
    token = _scope.set(scope)
    try:
        assert compat.connexion_current_scope() is scope
    finally:
        _scope.reset(token)


@pytest.mark.parametrize(("dotted", "name"), compat.PRIVATE_OVERRIDES)
def test_private_overrides_exist(dotted: str, name: str) -> None:
    module, _, cls = dotted.rpartition(".")
    found = getattr(importlib.import_module(module), cls)
    assert callable(getattr(found, name)), f"{dotted}.{name} is gone"


def test_has_cursor_events_follows_listeners() -> None:
    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        assert not compat.has_cursor_events(connection)

    def listener(*_: object) -> None:
        return None

    event.listen(engine, "before_cursor_execute", listener)
    with engine.connect() as connection:
        assert compat.has_cursor_events(connection)


def test_json_deserializer_is_the_engines() -> None:
    def loads(value: str) -> object:
        return value

    engine = create_engine("sqlite://", json_deserializer=loads)
    assert compat.json_deserializer(engine.dialect) is loads
    assert compat.json_deserializer(create_engine("sqlite://").dialect) is None


def test_connection_without_revalidation_runs_on_the_given_connection(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    other = StaticPool(lambda: sqlite3.connect(tmp_path / "b.db"))
    connection = compat.connection_without_revalidation(engine, other.connect())
    connection.execute(text("CREATE TABLE only_in_b (x INTEGER)"))
    connection.commit()
    connection.close()
    with engine.connect() as main:
        assert main.execute(text("SELECT count(*) FROM sqlite_master")).scalar() == 0
    assert connection._Connection__can_reconnect is False  # type: ignore[attr-defined]


def test_is_file_sqlite() -> None:
    assert compat.is_file_sqlite(make_url("sqlite:///x.db"))
    assert not compat.is_file_sqlite(make_url("sqlite://"))
    assert not compat.is_file_sqlite(make_url("sqlite:///:memory:"))


def test_free_first_pool_takes_a_free_connection_without_waiting(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    pool = database.engine.sync_engine.pool
    assert isinstance(pool, compat.FreeFirstQueuePool)
    assert pool.free_first
    assert isinstance(pool._pool, sqla_queue.AsyncAdaptedQueue)

    async def run() -> None:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        # Free again: the next checkout takes it from the queue directly.
        assert pool._pool.qsize() == 1
        async with database.engine.connect() as connection:
            assert (await connection.execute(text("SELECT 2"))).scalar() == 2
        await database.dispose()

    asyncio.run(run())


def test_soft_close_keeps_rows(tmp_path: Path) -> None:
    """The in-loop driver's cursor keeps its rows through the async result's soft close."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 's.db'}")
    assert hasattr(compat.SoftCloseKeepsRows, "_async_soft_close")

    async def run() -> list[int]:
        async with database.engine.connect() as connection:
            result = await connection.execute(text("SELECT 1 UNION ALL SELECT 2"))
            rows = [int(row[0]) for row in result.all()]
        await database.dispose()
        return rows

    assert asyncio.run(run()) == [1, 2]
