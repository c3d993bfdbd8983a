"""SQLite on the event loop: one connection per process, shared fairly, never deadlocked."""

from __future__ import annotations

import asyncio
import gc
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from handlers.models import Project
from handlers.services.projects import PROJECTS, ProjectStore
from specway.ids import new_id, utcnow
from specway.pagination import PageRequest
from specway.storage.database import Database


def _database(tmp_path: Path) -> Database:
    return Database(f"sqlite+aiosqlite:///{tmp_path}/inloop.db", timeout=2.0)


def _insert(connection: Connection, organization_id: str, name: str) -> str:
    """A new project's id, written on the writers' connection (``Database.transaction``)."""
    now = utcnow()
    project_id = new_id("proj")
    values = {"id": project_id, "organization_id": organization_id, "name": name}
    connection.execute(insert(PROJECTS), {**values, "created_at": now, "updated_at": now})
    return project_id


async def _add(session: AsyncSession, organization_id: str, name: str) -> None:
    """A new project, written in ``session``'s transaction (the session path of the driver)."""
    now = utcnow()
    values = {"id": new_id("proj"), "organization_id": organization_id, "name": name}
    await session.execute(insert(PROJECTS), {**values, "created_at": now, "updated_at": now})


def _count(connection: Any) -> int:
    """The projects a read sees."""
    return int(connection.execute(select(func.count()).select_from(Project)).scalar_one())


def test_every_sqlite_url_runs_on_the_loop_with_one_connection(tmp_path: Path) -> None:
    database = _database(tmp_path)
    assert database.engine.dialect.driver == "specway"
    assert database.engine.pool.size() == 1  # type: ignore[attr-defined]

    async def run() -> list[str]:
        names: list[str] = []

        def where(connection: object) -> None:
            names.append(threading.current_thread().name)

        async with database.session() as session:
            await session.execute(text("SELECT 1"))
            await session.run_sync(lambda _s: where(None))
        # AsyncConnection.execute requires its call to await (the driver passes through one).
        async with database.engine.connect() as connection:
            assert (await connection.execute(text("SELECT 2"))).scalar() == 2
        assert await database.read(lambda c: c.execute(text("SELECT 3")).scalar()) == 3
        await database.read(where)
        await database.dispose()
        return names

    assert set(asyncio.run(run())) == {threading.current_thread().name}
    memory = Database("sqlite+aiosqlite:///:memory:")
    assert memory.engine.dialect.driver == "specway"


def test_concurrent_writers_queue_for_the_connection_instead_of_failing(tmp_path: Path) -> None:
    """Transactions that await mid-way (as handlers do) interleave; none sees "locked"."""
    database = _database(tmp_path)

    async def writer(i: int) -> None:
        async with database.session() as session, session.begin():
            await _add(session, "org_a", f"p{i}")
            await asyncio.sleep(0)  # another task runs while this transaction is open
            await _add(session, "org_a", f"q{i}")

    async def run() -> int:
        await database.migrate()
        await asyncio.gather(*(writer(i) for i in range(40)))
        async with database.session() as session:
            count = (await session.execute(select(func.count()).select_from(Project))).scalar()
        await database.dispose()
        return int(count or 0)

    assert asyncio.run(run()) == 80


def test_a_failed_or_cancelled_transaction_gives_the_connection_back(tmp_path: Path) -> None:
    database = _database(tmp_path)

    async def stuck() -> None:
        async with database.session() as session, session.begin():
            await _add(session, "org_a", "never")
            await asyncio.sleep(3600)

    async def failing() -> None:
        async with database.session() as session, session.begin():
            await _add(session, "org_a", "rolled back")
            raise RuntimeError("boom")

    async def run() -> tuple[int, str]:
        await database.migrate()
        task = asyncio.create_task(stuck())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(RuntimeError):
            await failing()
        # The one connection is free again: this read does not wait out the pool timeout.
        items, total = await asyncio.wait_for(
            ProjectStore(database).page("org_a", PageRequest(1, 20)), timeout=1.5
        )
        await database.dispose()
        return total, ",".join(item["name"] for item in items)

    assert asyncio.run(run()) == (0, "")


def test_project_search_takes_wildcards_literally(tmp_path: Path) -> None:
    database = _database(tmp_path)

    async def run() -> list[str]:
        await database.migrate()
        async with database.session() as session, session.begin():
            for name in ("100% uptime", "plain", "under_score", "underXscore"):
                await _add(session, "org_a", name)
        found = []
        for term in ("%", "_", "UPTIME"):
            items, _ = await ProjectStore(database).page("org_a", PageRequest(1, 20), search=term)
            found.append("|".join(sorted(item["name"] for item in items)))
        await database.dispose()
        return found

    assert asyncio.run(run()) == ["100% uptime", "under_score", "100% uptime"]


def test_startup_moves_the_loaded_app_out_of_the_collectors_sight(client: TestClient) -> None:
    assert client.get("/health").status_code == 200
    assert gc.get_freeze_count() > 10_000


def test_startup_raises_the_young_generation_threshold_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import specway.app as app_module
    from specway.settings import Settings

    assert Settings.from_env({"SPECWAY_GC_THRESHOLD": "5000"}).gc_threshold == 5000
    assert Settings.from_env({}).gc_threshold == 20_000
    before = gc.get_threshold()
    monkeypatch.setattr(gc, "freeze", lambda: None)  # this test process keeps its objects
    monkeypatch.setattr(app_module, "_frozen", False)
    try:
        app_module.freeze_startup_objects(12_345)
        assert gc.get_threshold() == (12_345, before[1], before[2])
        app_module.freeze_startup_objects(777)  # once per process: later apps change nothing
        assert gc.get_threshold()[0] == 12_345
        monkeypatch.setattr(app_module, "_frozen", False)
        app_module.freeze_startup_objects(0)  # 0 keeps the interpreter's setting
        assert gc.get_threshold()[0] == 12_345
    finally:
        gc.set_threshold(*before)


def test_a_read_runs_on_its_own_read_only_connection_without_a_greenlet(
    tmp_path: Path,
) -> None:
    from sqlalchemy.util.concurrency import in_greenlet

    database = _database(tmp_path)

    async def run() -> tuple[list[bool], set[int], str]:
        await database.migrate()
        seen: list[bool] = []
        connections: set[int] = set()

        def work(connection: Any) -> int:
            seen.append(in_greenlet())
            connections.add(id(connection.connection.driver_connection))
            return 1

        await database.read(work)
        async with database.session() as session, session.begin():
            await session.execute(text("SELECT 1"))
            writers = await session.connection()
            connections.add(id((await writers.get_raw_connection()).driver_connection))
            # The writers' connection is held: the read neither waits for it nor needs a greenlet.
            reading = asyncio.ensure_future(database.read(work))
            await asyncio.sleep(0)
            assert reading.done()
        await database.read(work)
        with pytest.raises(OperationalError) as refused:
            await database.read(lambda c: c.execute(text("DELETE FROM projects")))
        await database.dispose()
        return seen, connections, str(refused.value.orig)

    seen, connections, refused = asyncio.run(run())
    assert seen == [False, False, False]
    assert len(connections) == 2  # the readers' one, and the writers'
    assert "readonly" in refused


def test_a_read_sees_what_is_committed_never_a_transaction_in_progress(tmp_path: Path) -> None:
    database = _database(tmp_path)

    async def run() -> tuple[int, int, int]:
        await database.migrate()
        before = await database.read(_count)
        async with database.session() as session, session.begin():
            await _add(session, "org_t", "pending")
            during = await database.read(_count)  # at once: the uncommitted row is not there
        after = await database.read(_count)
        await database.dispose()
        return before, during, after

    assert asyncio.run(run()) == (0, 0, 1)


def test_an_invalidated_reader_is_replaced_and_never_takes_the_writers_connection(
    tmp_path: Path,
) -> None:
    database = _database(tmp_path)

    def broken(connection: Any) -> int:
        connection.invalidate()  # as SQLAlchemy does on a disconnect error
        raise RuntimeError("lost")

    async def run() -> tuple[int, int, int]:
        await database.migrate()
        await database.transaction(lambda c: _insert(c, "org_r", "kept"))
        with pytest.raises(RuntimeError):
            await database.read(broken)
        after = await database.read(_count)
        free = database.engine.sync_engine.pool.checkedin()  # type: ignore[attr-defined]
        written = await database.transaction(lambda c: _insert(c, "org_r", "again"))
        await database.dispose()
        return after, free, len(written)

    after, free, id_length = asyncio.run(run())
    assert after == 1
    assert free == 1  # the writers' connection is back in its pool
    assert id_length > 0
