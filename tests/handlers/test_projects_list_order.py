"""The project list's order: ties broken by id in the sort's direction, served by an index."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import sqlite

from handlers.services.projects import PROJECT, ProjectStore
from specway.pagination import PageRequest
from specway.storage.database import Database
from specway.storage.store import _page

SAME = datetime(2024, 2, 26, 12, 0, 0, tzinfo=UTC)


def _listed(database_url: str) -> tuple[list[str], list[str], list[str]]:
    database = Database(database_url, timeout=5.0)

    async def run() -> tuple[list[str], list[str], list[str]]:
        await database.migrate()
        store = ProjectStore(database)
        made = [await store.create("org_order", {"name": f"p{i}"}) for i in range(5)]
        async with database.session() as session, session.begin():
            await session.execute(
                text("UPDATE projects SET created_at = :at WHERE organization_id = 'org_order'"),
                {"at": SAME.replace(tzinfo=None) if database_url.startswith("sqlite") else SAME},
            )
        asc, _ = await store.page("org_order", PageRequest(1, 20), order="asc")
        desc, _ = await store.page("org_order", PageRequest(1, 20), order="desc")
        await database.dispose()
        return [p["id"] for p in made], [r["id"] for r in asc], [r["id"] for r in desc]

    return asyncio.run(run())


def test_equal_timestamps_are_ordered_by_id_in_the_same_direction(database_url: str) -> None:
    made, asc, desc = _listed(database_url)
    assert asc == sorted(made)
    assert desc == sorted(made, reverse=True)


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_default_sort_walks_the_index_without_sorting(tmp_path: object, order: str) -> None:
    # Migration 0008's index covers (organization_id, created_at, id): SQLite reads a page in
    # index order, either direction, instead of sorting all of an organisation's projects.
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/plan.db", timeout=5.0)
    _, page = _page(PROJECT, False, "created_at", order, False, ())
    sql = str(page.statement.compile(dialect=sqlite.dialect()))

    async def run() -> list[str]:
        await database.migrate()
        async with database.engine.connect() as connection:
            result = await connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {sql}", ("org_x", "org_x", 20, 0)
            )
            details = [str(row[3]) for row in result]
        await database.dispose()
        return details

    details = asyncio.run(run())
    assert any("ix_projects_org_created_id" in d for d in details), details
    assert not any("TEMP B-TREE" in d for d in details), details
