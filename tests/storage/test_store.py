"""``TableStore`` (specway/storage/store.py) on a table of its own, on SQLite and PostgreSQL:
get, a page and its total, a page past the end, create, update with a merged JSON field,
delete, ``NotFound``, organisation isolation, sorting with ties, search and filters (on a
column and on a JSON document's member)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)

from specway.errors import NotFound
from specway.pagination import PageRequest
from specway.storage.database import Database
from specway.storage.prepared import Prepared
from specway.storage.store import REQUIRED, Resource, TableStore, like_pattern

METADATA = MetaData()
GADGETS = Table(
    "store_test_gadgets",
    METADATA,
    Column("id", String(40), primary_key=True),
    Column("organization_id", String(40), nullable=True),
    Column("name", String(100), nullable=False),
    Column("colour", String(20), nullable=False),
    Column("notes", Text, nullable=False),
    Column("settings", JSON, nullable=True),
    Column("created_by", String(40), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


class GadgetStore(TableStore):
    resource = Resource(
        table=GADGETS,
        name="gadget",
        id_prefix="gdg",
        keys=("id", "name", "colour", "notes", "organization", "settings", "created_at"),
        defaults={"settings": dict},
        fields={"name": REQUIRED, "colour": "grey", "notes": "", "settings": dict},
        merged=("settings",),
        sortable=("name", "colour", "created_at"),
        default_sort="name",
        default_order="asc",
        search=("name", "notes"),
        # "kind" is a member of the settings document, filtered on without being a key.
        columns={"kind": GADGETS.c.settings["kind"].as_string()},
        filters=("colour", "kind"),
    )


def _run(database_url: str, check: Any) -> None:
    database = Database(database_url)

    async def main() -> None:
        try:
            async with database.engine.begin() as connection:
                await connection.run_sync(METADATA.create_all)
            await check(GadgetStore(database))
        finally:
            await database.dispose()

    asyncio.run(main())


def test_get_create_update_delete(database_url: str) -> None:
    async def check(store: GadgetStore) -> None:
        made = await store.create("org_a", {"name": "Lamp", "settings": {"a": 1, "b": 2}})
        assert made["id"].startswith("gdg_")
        assert made["organization"] == "org_a"
        assert (made["colour"], made["notes"]) == ("grey", "")
        assert made["created_at"].endswith("Z")
        assert await store.get("org_a", made["id"]) == made

        changed = await store.update(
            "org_a", made["id"], {"colour": "red", "settings": {"b": 3, "c": 4}}
        )
        assert changed["colour"] == "red"
        assert changed["settings"] == {"a": 1, "b": 3, "c": 4}  # merged, not replaced
        assert changed["name"] == "Lamp"
        assert await store.get("org_a", made["id"]) == changed

        assert await store.delete("org_a", made["id"]) == changed
        with pytest.raises(NotFound) as raised:
            await store.get("org_a", made["id"])
        assert raised.value.message == f"Gadget {made['id']} not found"
        assert raised.value.details == {"resource_type": "gadget", "resource_id": made["id"]}
        with pytest.raises(NotFound):
            await store.delete("org_a", made["id"])

    _run(database_url, check)


def test_json_default_when_null(database_url: str) -> None:
    async def check(store: GadgetStore) -> None:
        made = await store.create("org_a", {"name": "Box", "settings": None})
        assert made["settings"] == {}
        assert (await store.get("org_a", made["id"]))["settings"] == {}

    _run(database_url, check)


def test_organisations_are_isolated(database_url: str) -> None:
    async def check(store: GadgetStore) -> None:
        mine = await store.create("org_a", {"name": "Mine"})
        theirs = await store.create("org_b", {"name": "Theirs"})
        nobody = await store.create(None, {"name": "Nobody's"})
        with pytest.raises(NotFound):
            await store.get("org_a", theirs["id"])
        with pytest.raises(NotFound):
            await store.update("org_a", theirs["id"], {"name": "taken"})
        with pytest.raises(NotFound):
            await store.delete("org_a", nobody["id"])
        with pytest.raises(NotFound):
            await store.get(None, mine["id"])
        assert (await store.get(None, nobody["id"]))["organization"] is None
        items, total = await store.page("org_a", PageRequest(1, 20))
        assert ([item["id"] for item in items], total) == ([mine["id"]], 1)
        items, total = await store.page(None, PageRequest(1, 20))
        assert ([item["id"] for item in items], total) == ([nobody["id"]], 1)
        assert (await store.get("org_b", theirs["id"]))["name"] == "Theirs"

    _run(database_url, check)


def test_pages_totals_sort_search_and_filters(database_url: str) -> None:
    async def check(store: GadgetStore) -> None:
        for i in range(7):
            colour = "red" if i % 2 else "blue"
            await store.create("org_a", {"name": f"g{i}", "colour": colour, "notes": f"n_{i}%"})
        await store.create("org_b", {"name": "g9"})

        items, total = await store.page("org_a", PageRequest(2, 3))
        assert total == 7
        assert [item["name"] for item in items] == ["g3", "g4", "g5"]  # default: name asc
        assert "total" not in items[0]
        items, total = await store.page("org_a", PageRequest(1, 3), sort="name", order="desc")
        assert [item["name"] for item in items] == ["g6", "g5", "g4"]
        assert await store.page("org_a", PageRequest(4, 3)) == ([], 7)  # past the end
        assert await store.page("org_c", PageRequest(1, 3)) == ([], 0)

        # Ties (one colour) are broken by id, in the sort's direction: pages never overlap.
        ids = [
            item["id"]
            for number in (1, 2, 3)
            for item in (await store.page("org_a", PageRequest(number, 3), sort="colour"))[0]
        ]
        assert len(ids) == len(set(ids)) == 7

        items, total = await store.page("org_a", PageRequest(1, 20), colour="red")
        assert ([item["name"] for item in items], total) == (["g1", "g3", "g5"], 3)
        items, total = await store.page("org_a", PageRequest(1, 20), colour=None)
        assert total == 7  # a filter left None is not applied

        items, total = await store.page("org_a", PageRequest(1, 20), search="G2")
        assert ([item["name"] for item in items], total) == (["g2"], 1)
        # The search's wildcards are taken literally: "_" and "%" match only themselves.
        items, total = await store.page("org_a", PageRequest(1, 20), search="n_4%")
        assert ([item["name"] for item in items], total) == (["g4"], 1)
        assert await store.page("org_a", PageRequest(1, 20), search="x%") == ([], 0)
        items, total = await store.page("org_a", PageRequest(1, 2), search="g", colour="blue")
        assert ([item["name"] for item in items], total) == (["g0", "g2"], 4)

        # A filter on a JSON document's member (``columns``); other kinds and none excluded.
        for kind in ("lamp", "desk", "lamp"):
            await store.create("org_k", {"name": kind, "settings": {"kind": kind, "w": 1}})
        await store.create("org_k", {"name": "plain"})
        items, total = await store.page("org_k", PageRequest(1, 20), kind="lamp")
        assert ([item["name"] for item in items], total) == (["lamp", "lamp"], 2)
        assert "kind" not in items[0]
        assert (await store.page("org_k", PageRequest(1, 20)))[1] == 4

        # An unknown sort is the default one, not an error.
        items, _ = await store.page("org_a", PageRequest(1, 2), sort="nope", order="sideways")
        assert [item["name"] for item in items] == ["g0", "g1"]

    _run(database_url, check)


def test_like_pattern_escapes_wildcards() -> None:
    assert like_pattern("A_b%c\\") == "%a\\_b\\%c\\\\%"


def test_missing_required_field_is_a_key_error(tmp_path: Path) -> None:
    async def check(store: GadgetStore) -> None:
        with pytest.raises(KeyError):
            await store.create("org_a", {"colour": "red"})
        assert await store.page("org_a", PageRequest(1, 20)) == ([], 0)

    _run(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}", check)


READINGS = Table(
    "store_test_readings",
    METADATA,
    Column("id", String(40), primary_key=True),
    Column("organization_id", String(40), nullable=True),
    Column("value", Float, nullable=True),
)


def test_float_columns_and_aggregates_read_as_floats(database_url: str) -> None:
    """A Float column, and an aggregate of one, read through prebuilt statements: on
    PostgreSQL the column's processor depends on the fetched type, unknown when compiled."""
    database = Database(database_url)
    rows = Prepared(select(READINGS.c.id, READINGS.c.value).order_by(READINGS.c.id))
    average = Prepared(select(func.avg(READINGS.c.value).label("mean")))

    async def main() -> None:
        try:
            async with database.engine.begin() as connection:
                await connection.run_sync(METADATA.create_all)
            values: list[dict[str, Any]] = [
                {"id": "r1", "value": 1.5},
                {"id": "r2", "value": 2},
                {"id": "r3", "value": None},
            ]
            await database.write([(Prepared(insert(READINGS)), values)])
            got = [(row.id, row.value) for row in await database.rows(rows, {})]
            assert got == [("r1", 1.5), ("r2", 2.0), ("r3", None)]
            assert all(value is None or type(value) is float for _, value in got)
            mean = (await database.rows(average, {}))[0].mean
            assert (type(mean), mean) == (float, 1.75)
        finally:
            await database.dispose()

    asyncio.run(main())


MEMOS = Table(
    "store_test_memos",
    METADATA,
    Column("id", String(40), primary_key=True),
    Column("organization_id", String(40), nullable=False),
    Column("title", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class MemoStore(TableStore):
    """A table without ``updated_at``, whose records do not show their organisation (the
    ``specway init`` scaffold's notes are such a resource)."""

    resource = Resource(
        table=MEMOS,
        name="memo",
        id_prefix="memo",
        keys=("id", "title", "created_at"),
        fields={"title": REQUIRED},
        events=True,
    )


def test_a_table_without_updated_at_and_events_of_an_unshown_organisation(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes stamp ``updated_at`` only where the table has one, a sort on it falls back to
    the default, and each event goes to the organisation of its write even though the
    records do not show it."""
    events: list[tuple[str, str | None]] = []

    async def recorded(
        database: Database,
        _webhooks: Any,
        writes: Any,
        type: str,
        data: Any,
        *,
        organization_id: str | None,
        project_id: str | None = None,
    ) -> None:
        events.append((type, organization_id))
        await database.write(writes)

    monkeypatch.setattr("specway.storage.store.write_with_event", recorded)
    database = Database(database_url)

    async def main() -> None:
        try:
            async with database.engine.begin() as connection:
                await connection.run_sync(METADATA.create_all)
            store = MemoStore(database)
            made = await store.create("org_m", {"title": "first"})
            assert set(made) == {"id", "title", "created_at"}
            await store.create("org_m", {"title": "second"})
            items, total = await store.page("org_m", PageRequest(1, 10), sort="updated_at")
            assert total == 2
            assert sorted(item["title"] for item in items) == ["first", "second"]
            changed = await store.update("org_m", made["id"], {"title": "renamed"})
            assert changed["title"] == "renamed"
            await store.delete("org_m", made["id"])
        finally:
            await database.dispose()

    asyncio.run(main())
    assert events == [
        ("memo.created", "org_m"),
        ("memo.created", "org_m"),
        ("memo.updated", "org_m"),
        ("memo.deleted", "org_m"),
    ]
