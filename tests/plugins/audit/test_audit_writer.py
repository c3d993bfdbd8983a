"""The background writer: batches, a full queue drops without blocking, shutdown flushes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from specway.ids import new_id, utcnow
from specway.plugins.audit.models import AuditLog
from specway.plugins.audit.writer import AuditWriter
from specway.plugins.metrics import counters
from specway.storage.database import Database

if TYPE_CHECKING:
    from tests.conftest import AuthIdentity

Identity = Callable[..., "AuthIdentity"]


def _row(i: int) -> dict[str, Any]:
    return {
        "id": new_id("aud"),
        "timestamp": utcnow(),
        "organization_id": "org_a",
        "action": "thing.made",
        "actor_type": "anonymous",
        "method": "POST",
        "path": f"/v1/things/{i}",
        "status": 201,
        "details": {},
    }


async def _count(database: Database) -> int:
    async with database.session() as session:
        return int((await session.execute(select(func.count(AuditLog.id)))).scalar_one())


def _dropped() -> float:
    return float(counters.AUDIT_EVENTS.labels("dropped")._value.get())


def test_stop_writes_everything_queued(database_url: str) -> None:
    async def run() -> tuple[int, int]:
        database = Database(database_url)
        await database.migrate()
        writer = AuditWriter(database, batch_size=100)
        await writer.start()
        for i in range(1000):
            assert writer.submit(_row(i))
        # Nothing has been awaited since the submits: every row is still queued.
        assert writer.queue is not None
        assert writer.queue.qsize() == 1000
        await writer.stop()
        try:
            return await _count(database), writer.written
        finally:
            await database.dispose()

    assert asyncio.run(run()) == (1000, 1000)


def test_full_queue_drops_counts_and_never_blocks(tmp_path: Path) -> None:
    async def run() -> tuple[list[bool], int, int]:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
        await database.migrate()
        writer = AuditWriter(database, max_queue=2)
        assert writer.submit(_row(0)) is False  # not started yet: dropped, not queued
        await writer.start()
        accepted = [writer.submit(_row(i)) for i in range(5)]
        await writer.stop()
        try:
            return accepted, writer.dropped, await _count(database)
        finally:
            await database.dispose()

    before = _dropped()
    accepted, dropped, stored = asyncio.run(run())
    assert accepted == [True, True, False, False, False]
    assert (dropped, stored) == (4, 2)
    assert _dropped() - before == 4


def test_requests_succeed_while_the_queue_is_full(
    app_factory: Callable[..., TestClient],
    issuer: Callable[..., TestClient],
    auth_factory: Identity,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = auth_factory(issuer())
    client = app_factory(plugins=("auth", "audit"))
    writer: AuditWriter = client.app.state.services["audit"]  # type: ignore[attr-defined]
    assert client.portal is not None
    gate = client.portal.call(asyncio.Event)
    original = writer._write

    async def blocked_write(batch: list[dict[str, Any]]) -> None:
        await gate.wait()
        await original(batch)

    writer._write = blocked_write  # type: ignore[method-assign]
    writer.max_queue = 1
    client.portal.call(writer.stop)
    client.portal.call(writer.start)
    statuses = [
        client.post("/v1/projects", json={"name": f"p{i}"}, headers=admin.headers).status_code
        for i in range(4)
    ]
    assert statuses == [201, 201, 201, 201]
    # One row is being written (blocked), one waits in the queue, two were dropped.
    assert writer.dropped == 2
    assert "audit events dropped" in caplog.text
    client.portal.call(gate.set)
    client.portal.call(writer.flush)
    assert writer.written == 2


def test_graceful_shutdown_flushes(
    app_factory: Callable[..., TestClient],
    issuer: Callable[..., TestClient],
    auth_factory: Identity,
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shutdown.db'}"
    admin = auth_factory(issuer(database_url=url))
    client = app_factory(plugins=("auth", "audit"), database_url=url)
    for i in range(25):
        response = client.post("/v1/projects", json={"name": f"p{i}"}, headers=admin.headers)
        assert response.status_code == 201
    client.__exit__(None, None, None)

    async def count() -> int:
        database = Database(url)
        try:
            return await _count(database)
        finally:
            await database.dispose()

    assert asyncio.run(count()) == 25


def test_a_row_the_table_refuses_costs_only_itself(tmp_path: Path) -> None:
    async def run() -> tuple[int, int, int, list[str]]:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
        await database.migrate()
        writer = AuditWriter(database, batch_size=100)
        await writer.start()
        rows = [_row(i) for i in range(5)]
        rows[3]["id"] = rows[1]["id"]  # the same id twice: the batch's INSERT fails
        for row in rows:
            assert writer.submit(row)
        await writer.stop()
        try:
            async with database.session() as session:
                paths = (await session.execute(select(AuditLog.path).order_by(AuditLog.path))).all()
            return writer.written, writer.dropped, await _count(database), [p for (p,) in paths]
        finally:
            await database.dispose()

    written, dropped, stored, paths = asyncio.run(run())
    assert (written, dropped, stored) == (4, 1, 4)
    assert paths == ["/v1/things/0", "/v1/things/1", "/v1/things/2", "/v1/things/4"]


def test_audit_ids_sort_by_creation_time() -> None:
    import re
    import time

    from specway.ids import new_sortable_id

    first = [new_sortable_id("aud") for _ in range(50)]
    time.sleep(0.002)
    later = new_sortable_id("aud")
    assert all(re.fullmatch(r"aud_[0-9a-v]{26}", i) for i in [*first, later])
    assert len(set(first)) == 50
    assert max(first) < later


def test_writes_are_paced_but_flush_and_stop_do_not_wait(tmp_path: Path) -> None:
    """An idle writer writes at once; then rows gather until ``min_interval`` has passed.

    The interval here is an hour: the held-back rows can only be written by flush() cutting
    the pause short, and stop() must not sit out the pause (and drop rows at its timeout).
    """

    async def run() -> tuple[int, int, int, int, int, int]:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
        await database.migrate()
        writer = AuditWriter(database, min_interval=3600, shutdown_timeout=30)
        await writer.start()
        assert writer.submit(_row(0))
        deadline = time.monotonic() + 10
        while writer.written == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        first = writer.written
        for i in range(1, 6):
            assert writer.submit(_row(i))
        await asyncio.sleep(0.2)
        held_back = writer.written
        await writer.flush()
        flushed = writer.written
        for i in range(6, 9):
            assert writer.submit(_row(i))
        await asyncio.sleep(0.05)
        await writer.stop()
        try:
            return first, held_back, flushed, writer.written, writer.dropped, await _count(database)
        finally:
            await database.dispose()

    first, held_back, flushed, written, dropped, stored = asyncio.run(run())
    assert (first, held_back, flushed) == (1, 1, 6)
    # Had stop sat out the pause, its timeout would have dropped the last three rows.
    assert (written, dropped, stored) == (9, 0, 9)


class _GatedWriter(AuditWriter):
    """A writer whose batches wait for a permit each, and only count what they 'write'."""

    def __init__(self, **options: Any) -> None:
        super().__init__(None, min_interval=0, **options)  # type: ignore[arg-type]
        self.permits: asyncio.Queue[None] = asyncio.Queue()
        self.batches: list[int] = []

    async def _write(self, batch: list[dict[str, Any]]) -> None:
        self.batches.append(len(batch))
        await self.permits.get()
        self._written(len(batch))


def test_flush_waits_for_rows_queued_before_it_not_after() -> None:
    """Under a steady stream a flush must end: rows submitted after it are not its business."""

    async def run() -> tuple[bool, bool, list[int], int]:
        writer = _GatedWriter(batch_size=1)
        await writer.start()
        writer.submit(_row(0))
        await asyncio.sleep(0)  # the writer takes row 0 and waits for its permit
        writer.submit(_row(1))
        flush = asyncio.create_task(writer.flush())
        await asyncio.sleep(0)
        writer.submit(_row(2))  # after the flush began
        writer.permits.put_nowait(None)  # row 0
        await asyncio.sleep(0.05)
        after_first = flush.done()
        writer.permits.put_nowait(None)  # row 1
        await asyncio.wait_for(flush, 5)
        written = writer.written  # row 2 is being written, still waiting for its permit
        writer.permits.put_nowait(None)
        await writer.stop()
        return after_first, flush.done(), writer.batches, written

    after_first, done, batches, written = asyncio.run(run())
    assert not after_first  # row 1 was queued before the flush and not yet written
    assert done
    assert written == 2
    assert batches == [1, 1, 1]


def test_stop_releases_a_waiting_flush() -> None:
    """A write that never ends: stop gives up at its timeout, and a flush waiting for a row
    that never left the queue returns too."""

    async def run() -> tuple[bool, int]:
        writer = _GatedWriter(batch_size=1, shutdown_timeout=0.1)
        await writer.start()
        writer.submit(_row(0))
        writer.submit(_row(1))
        flush = asyncio.create_task(writer.flush())
        await asyncio.sleep(0.05)
        assert not flush.done()
        await writer.stop()
        await asyncio.wait_for(flush, 5)
        return flush.done(), writer.written

    done, written = asyncio.run(run())
    assert done
    assert written == 0


def test_flush_after_a_restart_does_not_wait_for_rows_dropped_at_stop() -> None:
    """Rows stop dropped at its timeout are given up on: a flush after start() again ends."""

    async def run() -> tuple[int, int]:
        writer = _GatedWriter(batch_size=1, shutdown_timeout=0.1)
        await writer.start()
        writer.submit(_row(0))
        writer.submit(_row(1))  # never leaves the queue
        await writer.stop()
        dropped = writer.dropped
        await writer.start()
        writer.submit(_row(2))
        writer.permits.put_nowait(None)
        await asyncio.wait_for(writer.flush(), 5)
        written = writer.written
        writer.permits.put_nowait(None)
        await writer.stop()
        return dropped, written

    assert asyncio.run(run()) == (1, 1)  # row 1 dropped at stop; row 2 written after restart
