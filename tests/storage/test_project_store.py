"""The project store (``ProjectStore``), the one API the project handlers use, on SQLite and
PostgreSQL, with the fast paths on and off (``SPECWAY_FAST_PATHS=0``): the same results, the
writes and their outbox rows committed together, and on PostgreSQL one statement per read and
one per write (after the endpoints' read)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from handlers.services.projects import ProjectStore
from specway.errors import NotFound
from specway.pagination import PageRequest
from specway.plugins.webhooks.catalogue import EventCatalogue
from specway.plugins.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from specway.plugins.webhooks.service import WebhookService
from specway.settings import Settings
from specway.spec import load_model
from specway.storage.database import Database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=[True, False], ids=["fast", "plain"])
def fast(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def _service(database_url: str) -> WebhookService:
    settings = Settings(
        database_url=database_url,
        secret_key="test-secret-key-0123456789abcdef",
        spec_path=str(ROOT / "openapi.yaml"),
        webhook_worker=False,
    )
    return WebhookService(EventCatalogue(load_model(ROOT / "openapi.yaml")), settings)


async def _count(database: Database, model: Any, **where: Any) -> int:
    async with database.session() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int((await session.execute(query)).scalar_one())


def test_store_round_trip(database_url: str, fast: bool) -> None:
    database = Database(database_url, fast_paths=fast)
    assert (database.pg is not None) == (fast and database.dialect == "postgresql")
    service = _service(database_url)
    store = ProjectStore(database, service)

    async def run() -> None:
        await database.migrate()
        async with database.session() as session, session.begin():
            session.add(
                WebhookEndpoint(
                    id="wh_1",
                    organization_id="org_a",
                    url="http://127.0.0.1:9/hook",
                    events=["project.*"],
                    secret="sealed",
                )
            )
        created = [
            await store.create("org_a", {"name": f"p{i}", "config": {"region": f"r{i}"}})
            for i in range(25)
        ]
        other = await store.create("org_b", {"name": "theirs"})
        first = created[0]
        assert first["organization"] == "org_a"
        assert first["config"] == {"region": "r0"}
        assert first["created_at"].endswith("Z")
        assert await store.get("org_a", first["id"]) == first
        with pytest.raises(NotFound):
            await store.get("org_a", other["id"])  # another organisation's: 404

        items, total = await store.page("org_a", PageRequest(2, 20), order="asc")
        assert total == 25
        assert [p["id"] for p in items] == [p["id"] for p in created[20:]]
        assert items == created[20:]
        assert await store.page("org_a", PageRequest(3, 20)) == ([], 25)  # past the end
        assert await store.page("org_none", PageRequest(1, 20)) == ([], 0)
        searched, found = await store.page("org_a", PageRequest(1, 20), search="p1")
        assert found == 11
        assert all("p1" in p["name"] for p in searched)

        changed = await store.update(
            "org_a", first["id"], {"name": "renamed", "config": {"environment": "staging"}}
        )
        assert changed["name"] == "renamed"
        assert changed["config"] == {"region": "r0", "environment": "staging"}
        assert await store.get("org_a", first["id"]) == changed
        with pytest.raises(NotFound):
            await store.update("org_b", first["id"], {"name": "no"})

        gone = await store.delete("org_a", first["id"])
        assert gone == changed
        with pytest.raises(NotFound):
            await store.get("org_a", first["id"])
        with pytest.raises(NotFound):
            await store.delete("org_a", first["id"])

        # Every write wrote its event; org_a's endpoint got a delivery of each of org_a's.
        assert await _count(database, WebhookEvent) == 26 + 2
        assert await _count(database, WebhookDelivery, endpoint_id="wh_1") == 25 + 2
        assert await _count(database, WebhookEvent, organization_id="org_b") == 1

    async def main() -> None:
        try:
            await run()
        finally:
            await database.dispose()

    asyncio.run(main())


def test_failed_write_leaves_no_event(database_url: str, fast: bool) -> None:
    """A write that fails (here a duplicate id) takes its outbox rows with it."""
    database = Database(database_url, fast_paths=fast)
    store = ProjectStore(database, _service(database_url))

    async def run() -> None:
        await database.migrate()
        project = await store.create("org_a", {"name": "one"})
        import specway.storage.store as stores

        real = stores.new_id
        stores.new_id = lambda prefix: project["id"]  # type: ignore[assignment]
        try:
            with pytest.raises(IntegrityError):
                await store.create("org_a", {"name": "two"})
        finally:
            stores.new_id = real
        assert await _count(database, WebhookEvent) == 1

    async def main() -> None:
        try:
            await run()
        finally:
            await database.dispose()

    asyncio.run(main())


@pytest.mark.postgres
def test_postgres_statements_per_call(postgres_url: str) -> None:
    """On PostgreSQL a get and a page are one statement each, and a create with its outbox
    event and delivery two: the endpoints' read, then one statement writing every row."""
    database = Database(postgres_url, fast_paths=True)
    store = ProjectStore(database, _service(postgres_url))

    async def run() -> dict[str, int]:
        await database.migrate()
        async with database.session() as session, session.begin():
            session.add(
                WebhookEndpoint(
                    id="wh_1",
                    organization_id="org_a",
                    url="http://127.0.0.1:9/",
                    events=["project.created"],
                    secret="s",
                )
            )
        created = await store.create("org_a", {"name": "warm"})
        assert database.pg is not None
        counts: dict[str, int] = {}
        try:
            for label, call in (
                ("get", lambda: store.get("org_a", created["id"])),
                ("page", lambda: store.page("org_a", PageRequest(1, 20))),
                ("create", lambda: store.create("org_a", {"name": "x"})),
            ):
                before = database.pg.statements
                for _ in range(10):
                    await call()
                counts[label] = database.pg.statements - before
            counts["deliveries"] = await _count(database, WebhookDelivery)
        finally:
            await database.dispose()
        return counts

    counts = asyncio.run(run())
    assert counts == {"get": 10, "page": 10, "create": 20, "deliveries": 11}, counts


@pytest.mark.postgres
def test_postgres_create_without_endpoints_is_one_statement(postgres_url: str) -> None:
    """An organisation without webhook endpoints (another's do not count): a create and its
    event are one statement, guarded by the endpoints' read; the event is written."""
    database = Database(postgres_url, fast_paths=True)
    store = ProjectStore(database, _service(postgres_url))

    async def run() -> tuple[int, int, int]:
        await database.migrate()
        async with database.session() as session, session.begin():
            session.add(
                WebhookEndpoint(
                    id="wh_b",
                    organization_id="org_b",
                    url="http://127.0.0.1:9/",
                    events=["*"],
                    secret="s",
                )
            )
        await store.create("org_a", {"name": "warm"})
        assert database.pg is not None
        try:
            before = database.pg.statements
            for i in range(10):
                await store.create("org_a", {"name": f"p{i}"})
            sent = database.pg.statements - before
            events = await _count(database, WebhookEvent, organization_id="org_a")
            deliveries = await _count(database, WebhookDelivery)
        finally:
            await database.dispose()
        return sent, events, deliveries

    assert asyncio.run(run()) == (10, 11, 0)
