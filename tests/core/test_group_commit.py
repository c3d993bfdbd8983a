"""Concurrent ``Database.transaction`` calls on SQLite share one commit, failures stay apart."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from specway.storage.database import Database

METADATA = MetaData()
ITEMS = Table(
    "items",
    METADATA,
    Column("id", String(20), primary_key=True),
    Column("n", Integer, nullable=False),
)


def _run(tmp_path: Path, body: Callable[[Database, list[str]], Awaitable[Any]]) -> Any:
    """``body(database, commits)``; ``commits`` logs every COMMIT the engine issues."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/group.db", timeout=2.0)
    commits: list[str] = []
    event.listen(database.engine.sync_engine, "commit", lambda _conn: commits.append("commit"))

    async def run() -> Any:
        async with database.engine.begin() as connection:
            await connection.run_sync(METADATA.create_all)
        commits.clear()
        try:
            return await body(database, commits)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _put(item_id: str, n: int = 0) -> Callable[[Connection], str]:
    def work(connection: Connection) -> str:
        connection.execute(insert(ITEMS), {"id": item_id, "n": n})
        return item_id

    return work


async def _ids(database: Database) -> list[str]:
    rows = await database.read(lambda c: c.execute(select(ITEMS.c.id).order_by("id")).all())
    return [row.id for row in rows]


def test_concurrent_transactions_share_one_commit_and_each_gets_its_result(
    tmp_path: Path,
) -> None:
    async def body(database: Database, commits: list[str]) -> None:
        results = await asyncio.gather(*(database.transaction(_put(f"i{k}", k)) for k in range(10)))
        assert results == [f"i{k}" for k in range(10)]
        assert commits == ["commit"]
        assert database.group_commit is not None
        assert (database.group_commit.groups, database.group_commit.works) == (1, 10)
        assert await _ids(database) == sorted(f"i{k}" for k in range(10))

    _run(tmp_path, body)


def test_a_failing_work_undoes_only_its_own_statements(tmp_path: Path) -> None:
    def duplicate(connection: Connection) -> None:
        connection.execute(insert(ITEMS), {"id": "mine", "n": 1})
        connection.execute(insert(ITEMS), {"id": "a", "n": 1})  # taken by the first work

    def crashes(connection: Connection) -> None:
        connection.execute(insert(ITEMS), {"id": "crash", "n": 1})
        raise RuntimeError("handler bug")

    async def body(database: Database, commits: list[str]) -> None:
        results = await asyncio.gather(
            database.transaction(_put("a")),
            database.transaction(duplicate),
            database.transaction(crashes),
            database.transaction(_put("b")),
            return_exceptions=True,
        )
        assert results[0] == "a"
        assert results[3] == "b"
        assert isinstance(results[1], IntegrityError)
        assert isinstance(results[2], RuntimeError)
        assert str(results[2]) == "handler bug"
        assert commits == ["commit"]
        assert await _ids(database) == ["a", "b"]  # neither "mine" nor "crash"

    _run(tmp_path, body)


def test_a_failed_commit_fails_every_caller_and_keeps_nothing(tmp_path: Path) -> None:
    async def body(database: Database, commits: list[str]) -> None:
        def refuse(_conn: Any) -> None:
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

        event.listen(database.engine.sync_engine, "commit", refuse)
        results = await asyncio.gather(
            database.transaction(_put("a")),
            database.transaction(_put("b")),
            return_exceptions=True,
        )
        event.remove(database.engine.sync_engine, "commit", refuse)
        assert all(isinstance(r, OperationalError) for r in results), results
        assert await _ids(database) == []
        # The connection is usable afterwards.
        assert await database.transaction(_put("c")) == "c"
        assert await _ids(database) == ["c"]

    _run(tmp_path, body)


def test_a_work_that_loses_the_transaction_fails_the_works_before_it(tmp_path: Path) -> None:
    def rolls_back(connection: Connection) -> None:
        connection.exec_driver_sql("ROLLBACK")  # as SQLite does itself on, e.g., a full disk

    async def body(database: Database, commits: list[str]) -> None:
        results = await asyncio.gather(
            database.transaction(_put("a")),
            database.transaction(rolls_back),
            return_exceptions=True,
        )
        assert all(isinstance(r, OperationalError) for r in results), results
        assert await _ids(database) == []  # "a" was never committed, and its caller knows

    _run(tmp_path, body)


def test_a_caller_cancelled_before_its_turn_is_skipped(tmp_path: Path) -> None:
    ran: list[str] = []

    def tracked(item_id: str) -> Callable[[Connection], str]:
        def work(connection: Connection) -> str:
            ran.append(item_id)
            return _put(item_id)(connection)

        return work

    async def body(database: Database, commits: list[str]) -> None:
        first = asyncio.ensure_future(database.transaction(tracked("a")))
        gone = asyncio.ensure_future(database.transaction(tracked("gone")))
        last = asyncio.ensure_future(database.transaction(tracked("b")))
        await asyncio.sleep(0)  # all three queued, the group not yet run
        gone.cancel()
        assert await first == "a"
        assert await last == "b"
        assert gone.cancelled()
        assert ran == ["a", "b"]
        assert await _ids(database) == ["a", "b"]

    _run(tmp_path, body)


def test_groups_are_bounded_and_sequential_calls_commit_each(tmp_path: Path) -> None:
    async def body(database: Database, commits: list[str]) -> None:
        assert database.group_commit is not None
        database.group_commit.max_group = 3
        await asyncio.gather(*(database.transaction(_put(f"g{k}")) for k in range(7)))
        assert len(commits) == 3  # 3 + 3 + 1
        commits.clear()
        for k in range(2):
            await database.transaction(_put(f"s{k}"))
            assert len(commits) == k + 1  # each answered after its own commit
        assert len(await _ids(database)) == 9

    _run(tmp_path, body)


def test_a_group_sees_its_earlier_works_writes_in_order(tmp_path: Path) -> None:
    def count(connection: Connection) -> int:
        return int(connection.execute(text("SELECT count(*) FROM items")).scalar_one())

    async def body(database: Database, commits: list[str]) -> None:
        results = await asyncio.gather(
            database.transaction(count),
            database.transaction(_put("a")),
            database.transaction(count),
        )
        assert results == [0, "a", 1]  # as if run one after another, in call order

    _run(tmp_path, body)


@pytest.mark.parametrize("url", ["postgresql+asyncpg://u@127.0.0.1:1/x"])
def test_postgres_is_not_grouped(url: str) -> None:
    # PostgreSQL runs transactions on separate pooled connections and groups commits itself.
    assert Database(url).group_commit is None


def test_works_left_by_a_stopped_loop_do_not_stall_the_next_one() -> None:
    # A caller whose loop stopped before its group ran (a test client closed mid-request, say)
    # leaves its work behind; the next loop's callers must still be served, without it.
    from sqlalchemy import create_engine

    from specway.storage.group_commit import GroupCommit

    engine = create_engine("sqlite://")
    METADATA.create_all(engine)
    group = GroupCommit(engine.begin)
    ran: list[str] = []
    callers: list[asyncio.Future[str]] = []

    def work(item_id: str) -> Callable[[Connection], str]:
        def run(connection: Connection) -> str:
            ran.append(item_id)
            return _put(item_id)(connection)

        return run

    async def abandon() -> None:
        callers.append(asyncio.ensure_future(group.run(work("abandoned"))))  # runs after this

    async def serve() -> str:
        return await asyncio.wait_for(group.run(work("served")), 5)

    loop = asyncio.new_event_loop()
    loop.run_until_complete(abandon())  # stops after the work is queued, before its flush
    assert group._pending  # left behind by a loop that is not running
    try:
        assert asyncio.run(serve()) == "served"
    finally:  # now let the first loop end its tasks (cancelled) and close
        left = asyncio.all_tasks(loop)
        for task in left:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        loop.close()
    assert ran == ["served"]
    assert callers[0].cancelled()
    with engine.connect() as connection:
        assert [r.id for r in connection.execute(select(ITEMS.c.id))] == ["served"]


def test_a_transaction_holds_the_write_lock_from_its_start(tmp_path: Path) -> None:
    """Another process that commits while a transaction's work is between its read and its
    write can't make that write fail: the transaction took the write lock at its BEGIN
    (IMMEDIATE), so the other writer waits instead. With a deferred BEGIN the read's snapshot
    went stale and the write failed at once ("database is locked", a 503 to the client)."""
    other_writer: list[str] = []

    def work(connection: Connection) -> int:
        before = connection.execute(select(ITEMS.c.n)).all()  # a read first, as guards do
        other = sqlite3.connect(tmp_path / "group.db", timeout=0.2)
        try:
            other.execute("INSERT INTO items (id, n) VALUES ('other', 0)")
            other.commit()
            other_writer.append("committed")
        except sqlite3.OperationalError as exc:
            other_writer.append(str(exc))
        finally:
            other.close()
        connection.execute(insert(ITEMS).values(id="mine", n=len(before)))
        return len(before)

    async def scenario(database: Database, _commits: list[str]) -> list[str]:
        await database.transaction(work)
        async with database.engine.connect() as connection:
            rows = await connection.execute(select(ITEMS.c.id).order_by(ITEMS.c.id))
            return [row[0] for row in rows]

    assert _run(tmp_path, scenario) == ["mine"]
    assert other_writer == ["database is locked"]  # it waited for the lock, then gave up
