"""Timestamps formatted by the database read exactly as ``specway.ids.rfc3339`` writes them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import literal, select

from handlers.models import Project
from handlers.services.projects import ProjectStore
from specway.ids import rfc3339
from specway.pagination import PageRequest
from specway.storage.database import Database
from specway.storage.sqltime import rfc3339_text

STAMPS = [
    datetime(2024, 2, 26, 12, 0, 0, tzinfo=UTC),
    datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC),  # microseconds are dropped
    datetime(1999, 12, 31, 23, 0, 1, 5, tzinfo=UTC),
]
# Another zone. The ORM and the formatted read agree on it; on SQLite both give its wall time
# as UTC (SQLAlchemy stores the fields and drops the offset), so specway only writes UTC.
OTHER_ZONE = datetime(
    2026, 12, 3, 1, 30, 0, 250_000, tzinfo=timezone(timedelta(hours=5, minutes=30))
)


STAMP_KEYS = ("created_at", "updated_at")


def test_project_reads_format_timestamps_like_rfc3339(database_url: str) -> None:
    database = Database(database_url, timeout=5.0)
    store = ProjectStore(database)

    async def run() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        await database.migrate()
        ids = [(await store.create("org_t", {"name": f"p{i}"}))["id"] for i in range(4)]
        expected = []
        async with database.session() as session, session.begin():
            for project_id, stamp in zip(ids, [*STAMPS, OTHER_ZONE], strict=True):
                project = await session.get_one(Project, project_id)
                project.created_at = stamp
                project.updated_at = stamp + timedelta(days=1)
            await session.flush()
            session.expire_all()
            for project_id in ids:  # what the ORM reads back, formatted in Python
                project = await session.get_one(Project, project_id)
                expected.append(
                    {
                        "created_at": rfc3339(project.created_at),
                        "updated_at": rfc3339(project.updated_at),
                    }
                )
        got = []
        for project_id in ids:
            record = await store.get("org_t", project_id)
            got.append({key: record[key] for key in STAMP_KEYS})
        items, _ = await store.page("org_t", PageRequest(1, 20), order="asc")
        listed = {item["id"]: {key: item[key] for key in STAMP_KEYS} for item in items}
        null = await database.read(
            lambda db: db.execute(select(rfc3339_text(literal(None)))).scalar_one()
        )
        await database.dispose()
        assert null is None
        return expected, got, [listed[p] for p in ids]

    expected, got, listed = asyncio.run(run())
    assert got == expected
    assert listed == expected
    assert [e["created_at"] for e in expected[:-1]] == [rfc3339(s) for s in STAMPS]
    assert [e["updated_at"] for e in expected[:-1]] == [
        rfc3339(s + timedelta(days=1)) for s in STAMPS
    ]


def test_sqlite_text_is_recut_as_sqlites_strftime_would() -> None:
    import sqlite3

    from specway.storage.sqltime import from_sqlite_text

    stored = [
        "2024-02-26 12:00:00.000000",  # SQLAlchemy's format
        "2024-02-29 23:59:59.999999",
        "2024-02-26 12:00:00",
        "2024-02-26T12:00:00",
        "2024-02-26T12:00:00.5",
        "2024-02-26 12:00:00+05:30",  # written by another tool: converted to UTC
        "2024-02-26",
        "not a timestamp",
    ]
    with sqlite3.connect(":memory:") as connection:
        expected = [
            connection.execute("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', ?)", (s,)).fetchone()[0]
            for s in stored
        ]
    assert [from_sqlite_text(s) for s in stored] == expected
    assert expected[0] == "2024-02-26T12:00:00Z"
    assert expected[5] == "2024-02-26T06:30:00Z"
    assert expected[-1] is None
    assert from_sqlite_text(None) is None
