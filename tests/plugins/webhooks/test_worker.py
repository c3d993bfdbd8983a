"""Workers claim with a lease: crashes are recovered, concurrent workers never double-send."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from webhooks_support import REFERENCE_SPEC, Receiver, WebhookEnv, webhook_env

from specway.ids import as_utc
from specway.plugins.webhooks import emit_event
from specway.plugins.webhooks.models import WebhookAttempt, WebhookDelivery
from specway.plugins.webhooks.sender import AttemptResult
from specway.plugins.webhooks.subscriptions import create_endpoint
from specway.spec import SpecModel
from specway.storage.database import Database

pytestmark = pytest.mark.anyio

USER = {"id": "user_1", "name": "John Doe", "email": "john@example.com"}


async def setup(env: WebhookEnv, url: str, events: int) -> list[str]:
    async with env.database.session() as session, session.begin():
        await create_endpoint(session, env.service, None, {"url": url, "events": ["user.*"]})
    ids = []
    for i in range(events):
        async with env.database.session() as session, session.begin():
            event = await emit_event(session, "user.created", {**USER, "id": f"user_{i}"})
            assert event is not None
            ids.append(event.id)
    return ids


async def attempts(env: WebhookEnv) -> list[tuple[str, int, bool]]:
    async with env.database.session() as session:
        rows = await session.execute(
            select(WebhookAttempt.delivery_id, WebhookAttempt.attempt, WebhookAttempt.success)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_a_leased_delivery_is_not_claimed_twice_until_the_lease_runs_out(
    database_url: str, reference_model: SpecModel, receiver: Receiver
) -> None:
    async with webhook_env(database_url, reference_model) as env:
        (event_id,) = await setup(env, receiver.url, 1)
        crashed = env.worker(lease=timedelta(seconds=60))
        survivor = env.worker(lease=timedelta(seconds=60))
        (claimed,) = await crashed.claim()  # ...and then the worker dies
        assert await survivor.claim() == []
        env.clock.advance(timedelta(seconds=59))
        assert await survivor.claim() == []
        env.clock.advance(timedelta(seconds=2))
        assert await survivor.run_once() == 1
        assert [r.headers["webhook-id"] for r in receiver.requests] == [event_id]
        # The crashed worker's late result is discarded: one attempt 1 in the log.
        assert await crashed.record(claimed, AttemptResult(200, 5)) is False
        log = await attempts(env)
        assert [(n, ok) for _, n, ok in log] == [(1, True)]


async def test_a_killed_worker_process_is_redelivered_after_the_lease(
    database_url: str, reference_model: SpecModel, receiver: Receiver, tmp_path: Path
) -> None:
    """``specway webhooks worker`` hangs mid-request and is SIGKILLed; another takes over."""
    receiver.hold = threading.Event()
    async with webhook_env(database_url, reference_model) as env:
        (event_id,) = await setup(env, receiver.url, 1)
        environ = {
            **os.environ,
            "SPECWAY_DATABASE_URL": database_url,
            "SPECWAY_SECRET_KEY": env.service.settings.secret_key or "",
            "SPECWAY_SPEC_PATH": str(REFERENCE_SPEC),
            "SPECWAY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
            "SPECWAY_WEBHOOK_ALLOW_HTTP": "true",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "specway", "webhooks", "worker", "--poll-interval", "0.1"],
            cwd=tmp_path,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            await asyncio.to_thread(receiver.wait_for, 1, 30)  # it is mid-delivery now
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
        receiver.hold.set()
        receiver.hold = None
        async with env.database.session() as session:
            row = (await session.execute(select(WebhookDelivery))).scalar_one()
        assert (row.status, row.attempt_count) == ("pending", 0)
        assert row.lease_token is not None

        assert row.lease_expires_at is not None
        expires = as_utc(row.lease_expires_at)
        worker = env.worker()
        env.clock.set(expires - timedelta(seconds=1))
        assert await worker.run_once() == 0  # still leased by the dead worker
        env.clock.set(expires + timedelta(seconds=1))
        assert await worker.run_once() == 1
        assert [r.headers["webhook-id"] for r in receiver.requests] == [event_id, event_id]
        async with env.database.session() as session:
            row = (await session.execute(select(WebhookDelivery))).scalar_one()
        assert (row.status, row.attempt_count) == ("succeeded", 1)
        assert [(n, ok) for _, n, ok in await attempts(env)] == [(1, True)]


@pytest.mark.postgres
async def test_two_workers_on_postgresql_never_send_the_same_attempt_twice(
    postgres_url: str, reference_model: SpecModel, receiver: Receiver
) -> None:
    async with webhook_env(postgres_url, reference_model) as env:
        ids = await setup(env, receiver.url, 60)
        second_db = Database(postgres_url)
        try:
            workers = [env.worker(batch_size=5), env.worker(second_db, batch_size=5)]
            claimed = Counter[int]()

            async def drain(index: int) -> None:
                while True:
                    done = await workers[index].run_once()
                    if done == 0:
                        return
                    claimed[index] += done

            await asyncio.gather(drain(0), drain(1))
        finally:
            await second_db.dispose()
        sent = Counter(r.headers["webhook-id"] for r in receiver.requests)
        assert set(sent) == set(ids)
        assert set(sent.values()) == {1}
        assert claimed[0] > 0
        assert claimed[1] > 0
        assert claimed[0] + claimed[1] == 60
        log = await attempts(env)
        assert len(log) == 60
        assert {(n, ok) for _, n, ok in log} == {(1, True)}
        async with env.database.session() as session:
            pending = await session.execute(
                select(func.count()).where(WebhookDelivery.status != "succeeded")
            )
            assert pending.scalar_one() == 0


async def test_claims_skip_deliveries_of_disabled_endpoints(
    tmp_path: Path, reference_model: SpecModel, receiver: Receiver
) -> None:
    from specway.plugins.webhooks.models import WebhookEndpoint

    async with webhook_env(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}", reference_model) as env:
        await setup(env, receiver.url, 2)
        async with env.database.session() as session, session.begin():
            endpoint = (await session.execute(select(WebhookEndpoint))).scalar_one()
            endpoint.enabled = False
        assert await env.worker().run_once() == 0
        async with env.database.session() as session, session.begin():
            endpoint = (await session.execute(select(WebhookEndpoint))).scalar_one()
            endpoint.enabled = True
        assert await env.worker().run_once() == 2


async def test_a_commit_wakes_an_idle_worker_at_once(
    tmp_path: Path, reference_model: SpecModel, receiver: Receiver
) -> None:
    """The running worker polls only every 60 s here: only the commit's wake-up delivers."""
    async with webhook_env(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", reference_model) as env:
        worker = env.worker(poll_interval=60)
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        try:
            await setup(env, receiver.url, 0)
            for _ in range(20):  # let the worker reach its idle wait
                await asyncio.sleep(0)
            async with env.database.session() as session, session.begin():
                await emit_event(session, "user.created", USER)
            await asyncio.to_thread(receiver.wait_for, 1, 10)
        finally:
            stop.set()
            await asyncio.wait_for(running, 10)
