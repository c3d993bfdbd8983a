"""A project page carries its total: from the page's own rows, or counted when it has none.

The store runs through SQLAlchemy's engine here (``fast_paths=False``), where every statement
can be counted; the fast paths run the same statements."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event

from handlers.services.projects import ProjectStore
from specway.pagination import PageRequest
from specway.storage.database import Database


def _pages(database_url: str, reads: list[tuple[str, PageRequest, dict[str, Any]]]) -> list[Any]:
    database = Database(database_url, timeout=5.0, fast_paths=False)
    store = ProjectStore(database)
    statements: list[str] = []

    async def run() -> list[Any]:
        await database.migrate()
        for i in range(5):
            await store.create("org_total", {"name": f"alpha {i}" if i < 2 else f"beta {i}"})
        await store.create("org_other", {"name": "alpha x"})
        event.listen(
            database.engine.sync_engine,
            "before_cursor_execute",
            lambda *args: statements.append(args[2]),
        )
        found = []
        for org, page, filters in reads:
            items, total = await store.page(org, page, **filters)
            found.append(([item["name"] for item in items], total, len(statements)))
            statements.clear()
        await database.dispose()
        return found

    return asyncio.run(run())


def test_totals_and_statements_per_page(database_url: str) -> None:
    first, last, past, empty, filtered, filtered_past = _pages(
        database_url,
        [
            ("org_total", PageRequest(1, 2), {"order": "asc"}),
            ("org_total", PageRequest(3, 2), {"order": "asc"}),
            ("org_total", PageRequest(4, 2), {}),
            ("org_none", PageRequest(1, 2), {}),
            ("org_total", PageRequest(1, 20), {"search": "ALPHA", "sort": "name", "order": "asc"}),
            ("org_total", PageRequest(2, 20), {"search": "alpha"}),
        ],
    )
    # One statement when the page has rows; the count runs only for a page past the end.
    assert first == (["alpha 0", "alpha 1"], 5, 1)
    assert last == (["beta 4"], 5, 1)
    assert past == ([], 5, 2)
    assert empty == ([], 0, 1)
    assert filtered == (["alpha 0", "alpha 1"], 2, 1)
    assert filtered_past == ([], 2, 2)
