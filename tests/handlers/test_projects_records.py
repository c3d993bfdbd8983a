"""The handlers' project reads (response dicts) show what ``row_to_dict`` shows of the rows."""

from __future__ import annotations

import asyncio
from typing import Any

from handlers.services import projects as service
from specway.pagination import PageRequest
from specway.storage.database import Database

ORGS = ("org_rec", None, "org_empty")


def _reads(database_url: str) -> list[Any]:
    database = Database(database_url, timeout=5.0)
    page = PageRequest(1, 20)

    async def run() -> list[Any]:
        await database.migrate()
        async with database.session() as session, session.begin():
            for org in ORGS[:2]:
                for i in range(3):
                    data = {"name": f"p{i}", "config": {"i": i}} if i else {"name": "p0"}
                    await service.create_project(session, org, data)
        found = []
        for org in ORGS:
            rows, total = await database.read(
                lambda db, o=org: service.read_projects(db, o, page, order="asc")
            )
            items, records_total = await database.read(
                lambda db, o=org: service.read_project_page(db, o, page, order="asc")
            )
            singles = [
                await database.read(
                    lambda db, o=org, i=row.id: service.read_project_record(db, o, i)
                )
                for row in rows
            ]
            expected = [service.row_to_dict(row) for row in rows]
            found.append((expected, total, items, records_total, singles))
        await database.dispose()
        return found

    return asyncio.run(run())


def test_records_match_the_rows_with_and_without_an_organisation(database_url: str) -> None:
    found = _reads(database_url)
    for expected, total, items, records_total, singles in found:
        assert items == expected
        assert [list(item) for item in items] == [list(row) for row in expected]  # key order
        assert singles == expected
        assert records_total == total
    (with_org, _, _, _, _), (without_org, _, _, _, _), (empty, total, _, _, _) = found
    # The organisation comes from the parameter the WHERE clause pins, None included.
    assert [item["organization"] for item in with_org] == ["org_rec"] * 3
    assert [item["organization"] for item in without_org] == [None] * 3
    assert [item["config"] for item in with_org] == [{}, {"i": 1}, {"i": 2}]
    assert (empty, total) == ([], 0)
