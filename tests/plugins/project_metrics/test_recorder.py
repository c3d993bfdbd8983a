"""The recorder and its store on SQLite and PostgreSQL: upserts add up, bounds, retention."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from specway.plugins.project_metrics import store
from specway.plugins.project_metrics.models import log_lines, metric_buckets
from specway.plugins.project_metrics.recorder import LogLine, TrafficRecorder
from specway.storage.database import Database


async def _database(url: str) -> Database:
    database = Database(url)
    await database.migrate()
    return database


def _request(recorder: TrafficRecorder, project: str, status: int, ms: float) -> None:
    recorder.record_request(
        project, "org_1", method="GET", path=f"/v1/projects/{project}", status=status, latency_ms=ms
    )


def test_flushes_add_to_the_same_minute(database_url: str) -> None:
    async def run() -> tuple[list[Any], int]:
        database = await _database(database_url)
        try:
            first, second = TrafficRecorder(database), TrafficRecorder(database)
            for status in (200, 200, 404):
                _request(first, "proj_a", status, 3)
            await first.flush()
            for status in (500, 201):
                _request(second, "proj_a", status, 30)
            _request(second, "proj_b", 200, 3)
            await second.flush()
            await second.flush()  # nothing pending: no-op
            minute = int(datetime.now(UTC).timestamp() // 60)
            rows = await store.series(database, "proj_a", "org_1", minute - 5, minute + 5, 60)
            async with database.session() as session:
                lines = (
                    await session.execute(select(func.count()).select_from(log_lines))
                ).scalar_one()
            return rows, int(lines)
        finally:
            await database.dispose()

    rows, lines = asyncio.run(run())
    counters = [sum(c[i] for _, c in rows) for i in range(len(store.COUNTERS))]
    named = dict(zip(store.COUNTERS, counters, strict=True))
    assert (named["requests"], named["errors"], named["server_errors"]) == (5, 2, 1)
    assert named["le_5"] == 3
    assert named["le_50"] == 2
    assert lines == 6


def test_buffers_are_bounded_and_a_failed_flush_keeps_the_data(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any) -> None:  # store.write runs inside Database.transaction
        raise ConnectionError("database went away")

    async def run() -> None:
        database = await _database(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
        recorder = TrafficRecorder(database, max_pending_lines=3, max_pending_buckets=1)
        for _ in range(4):
            _request(recorder, "proj_a", 200, 1)
        _request(recorder, "proj_b", 200, 1)  # a second bucket: over the bound
        assert recorder.dropped == 3  # two lines and one bucket count
        monkeypatch.setattr(store, "write", refuse)
        with pytest.raises(ConnectionError):
            await recorder.flush()
        assert sum(c[0] for c in recorder._buckets.values()) == 4
        assert len(recorder._lines) == 3
        monkeypatch.undo()
        await recorder.flush()
        assert recorder._buckets == {}
        assert recorder._lines == []
        await database.dispose()

    asyncio.run(run())


def test_retention_prunes_old_rows(database_url: str) -> None:
    async def run() -> tuple[int, int]:
        database = await _database(database_url)
        try:
            old = datetime.now(UTC) - timedelta(days=40)
            async with database.session() as session, session.begin():
                await session.execute(
                    insert(metric_buckets),
                    [
                        {"project_id": "p", "organization_id": "", "minute": minute}
                        | {name: 1 for name in store.COUNTERS}
                        for minute in (
                            int(old.timestamp() // 60),
                            int(old.timestamp() // 60) + 60 * 24 * 20,
                        )
                    ],
                )
            recorder = TrafficRecorder(database, metrics_retention_days=30, logs_retention_days=7)
            recorder.record_line(LogLine("p", "", old, "info", "api", "old"))
            recorder.record_line(LogLine("p", "", datetime.now(UTC), "info", "api", "new"))
            await recorder.flush()
            await recorder.prune()
            async with database.session() as session:
                buckets = (
                    await session.execute(select(func.count()).select_from(metric_buckets))
                ).scalar_one()
                lines = (await session.execute(select(log_lines.c.message))).scalars().all()
            return int(buckets), len(lines)
        finally:
            await database.dispose()

    assert asyncio.run(run()) == (1, 1)


def test_subscribers_get_lines_of_their_project_only(tmp_path: Any) -> None:
    async def run() -> list[str]:
        recorder = TrafficRecorder(Database(f"sqlite+aiosqlite:///{tmp_path / 's.db'}"))
        async with recorder.subscribe("proj_a", "org_1") as queue:
            _request(recorder, "proj_b", 200, 1)
            _request(recorder, "proj_a", 200, 1)
            line = queue.get_nowait()
            assert queue.empty()
        assert recorder._subscribers == {}
        await recorder.database.dispose()
        return [line.message]

    assert asyncio.run(run()) == ["GET /v1/projects/proj_a 200 1ms"]


def test_a_day_at_one_minute_is_one_query(database_url: str) -> None:
    from sqlalchemy import event

    async def run() -> tuple[int, int, int]:
        database = await _database(database_url)
        try:
            start = int(datetime(2024, 2, 26, tzinfo=UTC).timestamp() // 60)
            rows = [
                {"project_id": project, "organization_id": "o", "minute": start + i}
                | {name: 1 for name in store.COUNTERS}
                for project in ("proj_a", "proj_b")
                for i in range(1440)
            ]
            async with database.session() as session, session.begin():
                await session.execute(insert(metric_buckets), rows)
            statements: list[str] = []

            def count(*args: Any) -> None:
                statements.append(str(args[2]))

            event.listen(database.engine.sync_engine, "before_cursor_execute", count)
            # PostgreSQL reads go through asyncpg's own pool: no SQLAlchemy cursor events.
            pg_before = database.pg.statements if database.pg is not None else 0
            day = await store.series(database, "proj_a", "o", start, start + 1440, 1)
            hourly = await store.series(database, "proj_a", "o", start, start + 1440, 60)
            sent = database.pg.statements - pg_before if database.pg is not None else 0
            selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
            return len(day), len(hourly), len(selects) + sent
        finally:
            await database.dispose()

    day, hourly, reads = asyncio.run(run())
    assert (day, hourly) == (1440, 24)
    assert reads == 2  # one per read
    assert "GROUP BY" in str(store._series_statement().statement).upper()
