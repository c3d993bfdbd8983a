"""emit_event writes the event and its deliveries in the caller's transaction, or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from webhooks_support import WebhookEnv, webhook_env

from specway.plugins.webhooks import EventPayloadError, emit_event, emit_events
from specway.plugins.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from specway.plugins.webhooks.subscriptions import create_endpoint
from specway.spec import SpecModel

PROJECT = {
    "id": "proj_abc",
    "name": "Alpha",
    "description": "",
    "status": "active",
    "organization": None,
    "config": {},
    "created_at": "2024-01-15T10:30:00Z",
    "updated_at": "2024-01-15T10:30:00Z",
}
DEPLOYMENT = {"deployment": {"id": "dep_1", "project_id": "proj_abc", "status": "completed"}}


async def endpoint(
    env: WebhookEnv, events: list[str], org: str | None = None, **extra: Any
) -> WebhookEndpoint:
    async with env.database.session() as session, session.begin():
        created, _ = await create_endpoint(
            session,
            env.service,
            org,
            {"url": "http://127.0.0.1:9/hook", "events": events},
            project_id=extra.pop("project_id", None),
        )
        for key, value in extra.items():
            setattr(created, key, value)
    return created


async def count(env: WebhookEnv, model: Any) -> int:
    async with env.database.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def targets(env: WebhookEnv, event_id: str) -> set[str]:
    async with env.database.session() as session:
        rows = await session.execute(
            select(WebhookDelivery.endpoint_id).where(WebhookDelivery.event_id == event_id)
        )
        return set(rows.scalars())


@pytest.mark.anyio
async def test_one_delivery_per_matching_enabled_endpoint_of_the_organisation(
    database_url: str, reference_model: SpecModel
) -> None:
    async with webhook_env(database_url, reference_model) as env:
        everything = await endpoint(env, ["*"], "org_a")
        projects = await endpoint(env, ["project.*"], "org_a")
        exact = await endpoint(env, ["project.created"], "org_a")
        await endpoint(env, ["project.updated", "deployment.*"], "org_a")
        await endpoint(env, ["*"], "org_a", enabled=False)
        await endpoint(env, ["*"], "org_b")
        await endpoint(env, ["*"], None)
        scoped_here = await endpoint(env, ["*"], "org_a", project_id="proj_abc")
        await endpoint(env, ["*"], "org_a", project_id="proj_other")

        async with env.database.session() as session, session.begin():
            event = await emit_event(
                session,
                "project.created",
                {"project": PROJECT},
                organization_id="org_a",
                project_id="proj_abc",
            )
        assert event is not None
        assert await targets(env, event.id) == {
            everything.id,
            projects.id,
            exact.id,
            scoped_here.id,
        }

        async with env.database.session() as session, session.begin():
            other = await emit_event(
                session, "deployment.completed", DEPLOYMENT, organization_id="org_b"
            )
        assert other is not None
        assert len(await targets(env, other.id)) == 1


@pytest.mark.anyio
async def test_rolled_back_transaction_emits_nothing(
    database_url: str, reference_model: SpecModel, receiver: Any
) -> None:
    async with webhook_env(database_url, reference_model) as env:
        async with env.database.session() as session, session.begin():
            await create_endpoint(
                session, env.service, None, {"url": receiver.url, "events": ["*"]}
            )

        class Boom(Exception):
            pass

        async def emit_then_fail() -> None:
            async with env.database.session() as session, session.begin():
                await emit_event(session, "project.created", {"project": PROJECT})
                raise Boom

        with pytest.raises(Boom):
            await emit_then_fail()
        async with env.database.session() as session:
            await emit_event(session, "project.updated", {"project": PROJECT})
            await session.rollback()

        assert await count(env, WebhookEvent) == 0
        assert await count(env, WebhookDelivery) == 0
        assert await env.worker().run_once() == 0
        assert receiver.requests == []


@pytest.mark.anyio
async def test_payload_must_match_its_schema(database_url: str, reference_model: SpecModel) -> None:
    async with webhook_env(database_url, reference_model) as env:
        await endpoint(env, ["*"])
        async with env.database.session() as session, session.begin():
            with pytest.raises(EventPayloadError, match=r"project\.created"):
                await emit_event(session, "project.created", {"project": {"id": 1}})
            with pytest.raises(EventPayloadError, match="unknown"):
                await emit_event(session, "project.exploded", {})
        assert await count(env, WebhookEvent) == 0

    async with webhook_env(database_url, reference_model, environment="production") as env:
        await endpoint(env, ["*"])
        async with env.database.session() as session, session.begin():
            dropped = await emit_event(session, "project.created", {"project": {"id": 1}})
        assert dropped is None
        assert await count(env, WebhookEvent) == 0
        assert await count(env, WebhookDelivery) == 0


@pytest.mark.anyio
async def test_without_the_plugin_emit_is_a_no_op(tmp_path: Any) -> None:
    from specway.storage.database import Database

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}")
    try:
        async with database.session() as session:
            assert await emit_event(session, "project.created", {"project": PROJECT}) is None
    finally:
        await database.dispose()


@pytest.mark.anyio
async def test_emit_events_writes_each_event_with_the_deliveries_emit_event_would(
    database_url: str, reference_model: SpecModel
) -> None:
    async with webhook_env(database_url, reference_model) as env:
        everything = await endpoint(env, ["*"], "org_a")
        created_only = await endpoint(env, ["project.created"], "org_a")
        await endpoint(env, ["*"], "org_b")
        updated = {**PROJECT, "name": "Beta"}
        async with env.database.session() as session, session.begin():
            recorded = await emit_events(
                session,
                [
                    ("project.created", {"project": PROJECT}),
                    ("project.updated", {"project": updated}),
                ],
                organization_id="org_a",
            )
        assert recorded == 2
        async with env.database.session() as session:
            events = (await session.execute(select(WebhookEvent))).scalars().all()
        by_type = {e.type: e for e in events}
        assert sorted(by_type) == ["project.created", "project.updated"]
        assert by_type["project.updated"].data == {"project": updated}
        assert await targets(env, by_type["project.created"].id) == {
            everything.id,
            created_only.id,
        }
        assert await targets(env, by_type["project.updated"].id) == {everything.id}
