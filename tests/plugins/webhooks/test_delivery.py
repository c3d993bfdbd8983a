"""Signed deliveries to a real receiver: signatures, retries, Retry-After, 410, disabling."""

from __future__ import annotations

import hashlib
import hmac
import itertools
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook
from webhooks_support import Receiver, Reply, WebhookEnv, webhook_env

from specway.ids import as_utc, rfc3339
from specway.pagination import PageRequest
from specway.plugins.webhooks import emit_event
from specway.plugins.webhooks.deliveries import list_deliveries
from specway.plugins.webhooks.models import WebhookDelivery, WebhookEndpoint
from specway.plugins.webhooks.schedule import SCHEDULE
from specway.plugins.webhooks.subscriptions import create_endpoint, rotate_secret
from specway.spec import SpecModel

pytestmark = pytest.mark.anyio

USER = {"id": "user_1", "name": "John Doe", "email": "john@example.com"}


async def subscribe(
    env: WebhookEnv, url: str, events: list[str] | None = None, org: str | None = None
) -> tuple[WebhookEndpoint, str]:
    async with env.database.session() as session, session.begin():
        return await create_endpoint(
            session, env.service, org, {"url": url, "events": events or ["*"]}
        )


async def emit(env: WebhookEnv, event: str = "user.created", data: Any = None) -> str:
    async with env.database.session() as session, session.begin():
        found = await emit_event(session, event, data or USER, organization_id=None)
    assert found is not None
    return found.id


async def delivery(env: WebhookEnv, event_id: str) -> WebhookDelivery:
    async with env.database.session() as session:
        return (
            await session.execute(
                select(WebhookDelivery).where(WebhookDelivery.event_id == event_id)
            )
        ).scalar_one()


async def endpoint_row(env: WebhookEnv, endpoint_id: str) -> WebhookEndpoint:
    async with env.database.session() as session:
        found = await session.get(WebhookEndpoint, endpoint_id)
        assert found is not None
        return found


async def test_delivery_is_signed_per_standard_webhooks_and_plain_hmac(
    database_url: str, reference_model: SpecModel, receiver: Receiver
) -> None:
    async with webhook_env(database_url, reference_model) as env:
        endpoint, secret = await subscribe(env, receiver.url)
        event_id = await emit(env)
        assert await env.worker().run_once() == 1
        (got,) = receiver.requests
        body = got.json()
        assert body == {
            "id": event_id,
            "event": "user.created",
            "timestamp": rfc3339(env.clock.now),
            "data": USER,
        }
        assert got.headers["webhook-id"] == event_id
        assert got.headers["webhook-timestamp"] == str(int(env.clock.now.timestamp()))
        assert got.headers["content-type"] == "application/json"
        payload = Webhook(secret).verify(got.body, got.headers)
        assert payload["id"] == event_id
        expected = hmac.new(secret.encode(), got.body, hashlib.sha256).hexdigest()
        assert got.headers["x-signature"] == f"sha256={expected}"
        row = await delivery(env, event_id)
        assert (row.status, row.attempt_count, row.next_attempt_at) == ("succeeded", 1, None)
        assert row.lease_token is None
        assert (await endpoint_row(env, endpoint.id)).failing_since is None


async def test_retries_follow_the_schedule_then_fail(
    database_url: str, reference_model: SpecModel, receiver: Receiver
) -> None:
    receiver.default = Reply(500, body=b"boom")
    async with webhook_env(database_url, reference_model) as env:
        endpoint, _ = await subscribe(env, receiver.url)
        event_id = await emit(env)
        worker = env.worker()
        sent_at = []
        for _ in range(8):
            row = await delivery(env, event_id)
            assert row.status == "pending"
            assert row.next_attempt_at is not None
            # Nothing is due a second early...
            env.clock.set(as_utc(row.next_attempt_at) - timedelta(seconds=1))
            assert await worker.run_once() == 0
            # ...and it goes out once due.
            env.clock.set(as_utc(row.next_attempt_at))
            sent_at.append(env.clock.now)
            assert await worker.run_once() == 1
        row = await delivery(env, event_id)
        assert (row.status, row.attempt_count, row.next_attempt_at) == ("failed", 8, None)
        assert len(receiver.requests) == 8
        assert {r.headers["webhook-id"] for r in receiver.requests} == {event_id}
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(sent_at)]
        for gap, expected in zip(gaps, SCHEDULE[1:], strict=True):
            assert 0.8 * expected.total_seconds() <= gap <= 1.2 * expected.total_seconds()
        env.clock.advance(timedelta(days=2))
        assert await worker.run_once() == 0

        async with env.database.session() as session:
            items, total = await list_deliveries(session, endpoint, PageRequest(1, 10))
        assert total == 1
        log = items[0]["attempt_log"]
        assert [a["attempt"] for a in log] == list(range(1, 9))
        assert {a["status_code"] for a in log} == {500}
        assert log[0]["response_body"] == "boom"
        assert log[-1]["next_attempt_at"] is None
        assert log[0]["next_attempt_at"] is not None


async def test_retry_after_is_honoured_within_bounds(
    tmp_path: Any, reference_model: SpecModel, receiver: Receiver
) -> None:
    receiver.script = [
        Reply(503, {"Retry-After": "3600"}),
        Reply(429, {"Retry-After": str(30 * 86400)}),
        Reply(200),
    ]
    async with webhook_env(f"sqlite+aiosqlite:///{tmp_path / 'ra.db'}", reference_model) as env:
        await subscribe(env, receiver.url)
        event_id = await emit(env)
        worker = env.worker()
        start = env.clock.now
        await worker.run_once()
        row = await delivery(env, event_id)
        assert row.next_attempt_at is not None
        assert as_utc(row.next_attempt_at) - start == timedelta(hours=1)
        env.clock.set(as_utc(row.next_attempt_at))
        await worker.run_once()
        row = await delivery(env, event_id)
        assert row.next_attempt_at is not None
        assert as_utc(row.next_attempt_at) - env.clock.now == timedelta(hours=10)
        env.clock.set(as_utc(row.next_attempt_at))
        await worker.run_once()
        assert (await delivery(env, event_id)).status == "succeeded"


async def test_receiver_down_then_up_loses_nothing(
    database_url: str, reference_model: SpecModel, receiver: Receiver
) -> None:
    async with webhook_env(database_url, reference_model) as env:
        await subscribe(env, receiver.url)
        receiver.stop()
        ids = [await emit(env, data={**USER, "id": f"user_{i}"}) for i in range(6)]
        worker = env.worker()
        assert await worker.run_once() == 6  # all fail: connection refused
        for event_id in ids:
            row = await delivery(env, event_id)
            assert (row.status, row.attempt_count, row.last_status_code) == ("pending", 1, None)
        receiver.start()  # same port
        env.clock.advance(timedelta(seconds=7))
        assert await worker.run_once() == 6
        assert sorted(r.headers["webhook-id"] for r in receiver.requests) == sorted(ids)
        for event_id in ids:
            assert (await delivery(env, event_id)).status == "succeeded"


async def test_gone_disables_the_endpoint_and_emits_endpoint_disabled(
    database_url: str, reference_model: SpecModel, receiver: Receiver
) -> None:
    watcher = Receiver()
    watcher.start()
    try:
        async with webhook_env(database_url, reference_model) as env:
            gone, _ = await subscribe(env, receiver.url, ["user.created"])
            await subscribe(env, watcher.url, ["endpoint.*"])
            first = await emit(env)
            second = await emit(env)
            receiver.script = [Reply(410)]
            worker = env.worker(batch_size=1)
            assert await worker.run_once() == 1
            row = await endpoint_row(env, gone.id)
            assert (row.enabled, row.disabled_reason) == (False, "gone")
            states = {(await delivery(env, e)).status for e in (first, second)}
            assert states == {"failed"}
            await worker.run_once()
            (notice,) = watcher.requests
            assert notice.json()["event"] == "endpoint.disabled"
            assert notice.json()["data"]["endpoint"] == {"id": gone.id, "url": receiver.url}
            assert notice.json()["data"]["reason"] == "gone"
            await emit(env)
            env.clock.advance(timedelta(days=1))
            assert await worker.run_once() == 0
            assert len(receiver.requests) == 1
    finally:
        watcher.stop()


async def test_five_days_without_success_disables(
    tmp_path: Any, reference_model: SpecModel, receiver: Receiver
) -> None:
    receiver.default = Reply(500)
    async with webhook_env(f"sqlite+aiosqlite:///{tmp_path / 'f.db'}", reference_model) as env:
        endpoint, _ = await subscribe(env, receiver.url, ["user.*"])
        worker = env.worker()
        start = env.clock.now
        await emit(env)
        await worker.run_once()
        assert as_utc((await endpoint_row(env, endpoint.id)).failing_since) == start  # type: ignore[arg-type]
        env.clock.advance(timedelta(days=4, hours=23))
        await emit(env)
        await worker.run_once()
        assert (await endpoint_row(env, endpoint.id)).enabled
        env.clock.advance(timedelta(hours=1))
        await emit(env)
        await worker.run_once()
        row = await endpoint_row(env, endpoint.id)
        assert (row.enabled, row.disabled_reason) == (False, "failing")


async def test_a_success_resets_the_failure_clock(
    tmp_path: Any, reference_model: SpecModel, receiver: Receiver
) -> None:
    receiver.script = [Reply(500), Reply(200)]
    async with webhook_env(f"sqlite+aiosqlite:///{tmp_path / 's.db'}", reference_model) as env:
        endpoint, _ = await subscribe(env, receiver.url)
        worker = env.worker()
        await emit(env)
        await worker.run_once()
        assert (await endpoint_row(env, endpoint.id)).failing_since is not None
        env.clock.advance(timedelta(seconds=10))
        await worker.run_once()
        assert (await endpoint_row(env, endpoint.id)).failing_since is None


async def test_rotation_signs_with_both_secrets_for_a_day(
    database_url: str, reference_model: SpecModel, receiver: Receiver
) -> None:
    from specway.plugins.webhooks.signing import standard_signature

    async with webhook_env(database_url, reference_model) as env:
        endpoint, old = await subscribe(env, receiver.url)
        async with env.database.session() as session, session.begin():
            row = await session.get(WebhookEndpoint, endpoint.id)
            assert row is not None
            new = await rotate_secret(session, env.service, row)
        assert new != old
        worker = env.worker()
        await emit(env)
        await worker.run_once()
        got = receiver.requests[-1]
        ts = int(got.headers["webhook-timestamp"])
        entries = got.headers["webhook-signature"].split(" ")
        assert entries == [
            standard_signature(new, got.headers["webhook-id"], ts, got.body),
            standard_signature(old, got.headers["webhook-id"], ts, got.body),
        ]
        for secret in (new, old):
            assert Webhook(secret).verify(got.body, got.headers)["id"] == got.headers["webhook-id"]
        assert (
            got.headers["x-signature"]
            == "sha256=" + hmac.new(new.encode(), got.body, hashlib.sha256).hexdigest()
        )

        env.clock.advance(timedelta(hours=24, seconds=1))
        await emit(env)
        await worker.run_once()
        later = receiver.requests[-1]
        assert len(later.headers["webhook-signature"].split(" ")) == 1
        assert later.headers["webhook-signature"] == standard_signature(
            new, later.headers["webhook-id"], int(later.headers["webhook-timestamp"]), later.body
        )


async def test_redirects_are_not_followed_and_bodies_are_capped(
    tmp_path: Any, reference_model: SpecModel, receiver: Receiver
) -> None:
    receiver.script = [
        Reply(302, {"Location": receiver.url + "/elsewhere"}),
        Reply(500, body=b"x" * 20_000),
    ]
    async with webhook_env(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", reference_model) as env:
        endpoint, _ = await subscribe(env, receiver.url)
        event_id = await emit(env)
        worker = env.worker()
        await worker.run_once()
        assert len(receiver.requests) == 1
        row = await delivery(env, event_id)
        assert (row.status, row.last_status_code) == ("pending", 302)
        env.clock.advance(timedelta(seconds=10))
        await worker.run_once()
        async with env.database.session() as session:
            items, _ = await list_deliveries(session, endpoint, PageRequest(1, 10))
        assert len(items[0]["attempt_log"][1]["response_body"]) == 4096


async def test_a_hanging_receiver_times_out(
    tmp_path: Any, reference_model: SpecModel, receiver: Receiver
) -> None:
    import threading

    receiver.hold = threading.Event()
    url = f"sqlite+aiosqlite:///{tmp_path / 't.db'}"
    async with webhook_env(url, reference_model, webhook_timeout=0.3) as env:
        await subscribe(env, receiver.url)
        event_id = await emit(env)
        await env.worker().run_once()
        receiver.hold.set()
        async with env.database.session() as session:
            endpoint = (await session.execute(select(WebhookEndpoint))).scalar_one()
            items, _ = await list_deliveries(session, endpoint, PageRequest(1, 10))
        attempt = items[0]["attempt_log"][0]
        assert attempt["status_code"] is None
        assert "timed out" in attempt["error"]
        assert (await delivery(env, event_id)).status == "pending"
