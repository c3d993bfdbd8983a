"""``DotenvStore``: a .env import's rows and outbox events in one transaction, on both backends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from handlers.models_platform import Variable
from handlers.services.transfer import DotenvStore
from specway.plugins.webhooks.models import WebhookDelivery, WebhookEvent
from specway.plugins.webhooks.service import WebhookService
from specway.plugins.webhooks.subscriptions import create_endpoint
from specway.storage.database import Database

from .helpers import as_org, make_environment, make_project, make_variable

ORG = "org_dotenv"
SECRET = "s3cret-marker-value"


def upload(client: TestClient, env_id: str, content: bytes) -> Any:
    return client.post(
        f"/v1/environments/{env_id}/import",
        files={"file": (".env", content, "text/plain")},
        headers=as_org(ORG),
    )


def stored(database_url: str) -> tuple[dict[str, str], list[Any], list[Any]]:
    """``({key: variable id}, events, deliveries)`` as the database holds them."""

    async def read() -> tuple[dict[str, str], list[Any], list[Any]]:
        database = Database(database_url)
        try:
            async with database.session() as session:
                rows = (await session.execute(select(Variable.key, Variable.id))).all()
                keys = {key: variable_id for key, variable_id in rows}
                events = list((await session.execute(select(WebhookEvent))).scalars())
                deliveries = list((await session.execute(select(WebhookDelivery))).scalars())
                return keys, events, deliveries
        finally:
            await database.dispose()

    return asyncio.run(read())


def add_endpoint(client: TestClient, database_url: str) -> str:
    """An enabled endpoint of :data:`ORG` for the variable events; its id."""
    service: WebhookService = client.app.app.state.services["webhooks"]  # type: ignore[attr-defined]

    async def add() -> str:
        database = Database(database_url)
        try:
            async with database.session() as session, session.begin():
                data = {"url": "http://127.0.0.1:9/hook", "events": ["variable.*"]}
                endpoint, _ = await create_endpoint(session, service, ORG, data)
                return endpoint.id
        finally:
            await database.dispose()

    return asyncio.run(add())


@pytest.fixture
def hooked(platform_factory: Callable[..., TestClient], database_url: str) -> TestClient:
    """The reference API with the webhooks plugin, on SQLite and PostgreSQL."""
    return platform_factory(database_url=database_url, plugins=("request_id", "errors", "webhooks"))


def test_an_import_writes_its_variables_and_their_events_together(
    hooked: TestClient, database_url: str
) -> None:
    endpoint_id = add_endpoint(hooked, database_url)
    env = make_environment(hooked, make_project(hooked, org=ORG), org=ORG)
    make_variable(hooked, env["id"], "KEEP", "same", org=ORG)
    make_variable(hooked, env["id"], "CHANGE", "old", org=ORG)
    _, before, _ = stored(database_url)

    content = f"KEEP=same\nCHANGE={SECRET}\nNEW_ONE={SECRET}\nNEW_TWO=2\n".encode()
    result = upload(hooked, env["id"], content)
    assert result.status_code == 200, result.text
    assert result.json()["summary"] == {
        "imported": 2,
        "updated": 1,
        "unchanged": 1,
        "failed": 0,
        "total_variables": 4,
    }

    keys, events, deliveries = stored(database_url)
    new = [event for event in events if event.id not in {e.id for e in before}]
    seen = {(event.type, event.data["variable"]["key"]) for event in new}
    assert seen == {
        ("variable.updated", "CHANGE"),
        ("variable.created", "NEW_ONE"),
        ("variable.created", "NEW_TWO"),
    }
    for event in new:
        assert event.organization_id == ORG
        assert event.data["variable"]["id"] == keys[event.data["variable"]["key"]]
        assert event.data["variable"]["environment_id"] == env["id"]
        assert SECRET not in str(event.data)
    assert {d.event_id for d in deliveries} >= {event.id for event in new}
    assert all(d.endpoint_id == endpoint_id for d in deliveries)

    exported = hooked.get(f"/v1/environments/{env['id']}/export", headers=as_org(ORG))
    assert exported.text.splitlines()[5:] == [
        f"CHANGE={SECRET}",
        "KEEP=same",
        f"NEW_ONE={SECRET}",
        "NEW_TWO=2",
    ]


def test_a_key_added_during_an_import_is_a_409_and_nothing_is_imported(
    platform: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = make_environment(platform, make_project(platform, org=ORG), org=ORG)
    read = DotenvStore.contents

    async def then_someone_adds_b(store: DotenvStore, environment_id: str) -> Any:
        found = await read(store, environment_id)
        await store.create_in(
            {"id": environment_id, "name": "production"}, {"key": "B", "value": "x"}
        )
        return found

    monkeypatch.setattr(DotenvStore, "contents", then_someone_adds_b)
    result = upload(platform, env["id"], b"A=1\nB=2\nC=3\n")
    assert result.status_code == 409, result.text
    assert result.json()["error"]["code"] == "conflict"
    monkeypatch.undo()

    listed = platform.get(f"/v1/environments/{env['id']}/variables", headers=as_org(ORG))
    assert {v["key"]: v["decrypted_value"] for v in listed.json()["data"]} == {"B": "x"}


def test_an_empty_environment_exports_its_header_only(platform: TestClient) -> None:
    env = make_environment(platform, make_project(platform, org=ORG, name="Empty"), org=ORG)
    exported = platform.get(f"/v1/environments/{env['id']}/export", headers=as_org(ORG))
    assert exported.status_code == 200
    lines = exported.text.splitlines()
    assert lines[:3] == [
        "# Generated by Specway Platform API - Environment: production",
        "# Project: Empty",
        f"# Organization: {ORG}",
    ]
    assert [line for line in lines if line and not line.startswith("#")] == []
    other = platform.get(f"/v1/environments/{env['id']}/export", headers=as_org("org_other"))
    assert other.status_code == 404
    assert other.json()["error"]["details"] == {
        "resource_type": "environment",
        "resource_id": env["id"],
    }
