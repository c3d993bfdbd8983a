"""Webhooks survive a receiver that is down for a day and a worker killed mid-delivery.

Receiver down: the worker runs on an injected clock that the test moves from one due time to the
next, so a simulated day passes in a second. Every attempt lands on its scheduled delay (jitter
only ever later, by up to 20 %), nothing is dropped or disabled inside the day, and once the
receiver answers 200 every event is delivered with exactly one successful attempt each.

Worker killed: a real gateway process emits events, a real ``specway webhooks worker`` process
claims them and is SIGKILLed while the receiver holds its requests; after the lease runs out another
worker (in the bounded run: in-process with the clock moved past the lease; in the soak run: a
second worker process waiting the real lease out) delivers every one of them.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fault_components import SECRET_KEY, Gateway, Worker, specway_env
from fault_harness import SOAK, Report, SecretLedger, query, register, scale
from sqlalchemy import func, select
from webhooks_support import Receiver, Reply, WebhookEnv, webhook_env

from specway.ids import as_utc
from specway.plugins.webhooks import emit_event
from specway.plugins.webhooks.models import WebhookAttempt, WebhookDelivery
from specway.plugins.webhooks.schedule import JITTER, SCHEDULE
from specway.plugins.webhooks.subscriptions import create_endpoint
from specway.spec import SpecModel, load_model

from fault_components import REFERENCE_SPEC  # isort: skip

USER = {"id": "user_1", "name": "John Doe", "email": "john@example.com"}


@pytest.fixture(scope="module")
def model() -> SpecModel:
    return load_model(REFERENCE_SPEC)


async def _next_due(env: WebhookEnv) -> datetime | None:
    async with env.database.session() as session:
        found = await session.execute(
            select(func.min(WebhookDelivery.next_attempt_at)).where(
                WebhookDelivery.status == "pending"
            )
        )
        value = found.scalar_one()
    return as_utc(value) if value is not None else None


async def _drain(env: WebhookEnv, until: datetime | None) -> int:
    """Run the worker at each due time up to ``until`` (None: until nothing is pending)."""
    worker = env.workers[0]
    rounds = 0
    while True:
        while await worker.run_once():
            rounds += 1
        due = await _next_due(env)
        if due is None or (until is not None and due > until):
            return rounds
        env.clock.set(max(due, env.clock.now))


def test_receiver_down_for_a_simulated_day_then_up(
    pg_database: str, model: SpecModel, receiver: Receiver, report: Report, ledger: SecretLedger
) -> None:
    events = int(scale(20, 1000))
    with report.scenario(
        "Webhook receiver down for a day",
        load=f"{events} events to one endpoint",
        fault="receiver answers 503 for 24 h (injected clock), then 200",
    ) as row:
        receiver.default = Reply(503, body=b"down")
        started = time.monotonic()

        async def run() -> None:
            async with webhook_env(pg_database, model) as env:
                env.worker(batch_size=100)
                async with env.database.session() as session, session.begin():
                    _, secret = await create_endpoint(
                        session, env.service, None, {"url": receiver.url, "events": ["user.*"]}
                    )
                ledger.add(secret)
                ids = []
                for i in range(events):
                    async with env.database.session() as session, session.begin():
                        event = await emit_event(
                            session, "user.created", {**USER, "id": f"user_{i}"}
                        )
                        assert event is not None
                        ids.append(event.id)
                t0 = env.clock.now
                await _drain(env, t0 + timedelta(days=1))
                down_requests = len(receiver.requests)
                receiver.default = Reply(200)
                env.clock.set(t0 + timedelta(days=1))
                await _drain(env, None)
                async with env.database.session() as session:
                    attempts = (
                        await session.execute(
                            select(
                                WebhookAttempt.delivery_id,
                                WebhookAttempt.attempt,
                                WebhookAttempt.success,
                                WebhookAttempt.created_at,
                            ).order_by(WebhookAttempt.delivery_id, WebhookAttempt.attempt)
                        )
                    ).all()
                    statuses = Counter(
                        (await session.execute(select(WebhookDelivery.status))).scalars()
                    )
                by_delivery: dict[str, list[tuple[int, bool, datetime]]] = {}
                for delivery_id, n, ok, at in attempts:
                    by_delivery.setdefault(delivery_id, []).append((n, ok, as_utc(at)))
                off_schedule = 0
                for tries in by_delivery.values():
                    for (n, _, before), (_, _, after) in itertools.pairwise(tries):
                        planned = SCHEDULE[n].total_seconds()
                        gap = (after - before).total_seconds()
                        late_ok = n == len(tries) - 1  # the receiver came back in between
                        low, high = planned - 1, planned * (1 + JITTER) + 1
                        if gap < low or (gap > high and not late_ok):
                            off_schedule += 1
                delivered = Counter(
                    r.headers["webhook-id"] for r in receiver.requests if r is not None
                )
                successes = Counter(d for d, _, ok, _ in attempts if ok)
                failed_attempts = sum(1 for _, _, ok, _ in attempts if not ok)
                lost = set(ids) - set(delivered)
                row.figures.update(
                    events=events,
                    failed_attempts_while_down=failed_attempts,
                    requests_reaching_receiver_while_down=down_requests,
                    lost_events=len(lost),
                    **{"deliveries succeeded": statuses.get("succeeded", 0)},
                    duplicate_successes=sum(v - 1 for v in successes.values()),
                    off_schedule_attempts=off_schedule,
                    wall_clock_s=time.monotonic() - started,
                )
                assert not lost
                assert statuses == {"succeeded": events}, statuses
                assert set(successes.values()) == {1}
                assert off_schedule == 0
                # A day covers attempts 1-7 (0 s … +10 h), so 7 failed tries per event.
                assert failed_attempts == down_requests == 7 * events
                for r in receiver.requests:
                    ledger.capture("webhook payload", r.body.decode())

        asyncio.run(run())


def test_worker_killed_mid_delivery_is_redelivered_after_its_lease(
    pg_database: str,
    model: SpecModel,
    receiver: Receiver,
    tmp_path: Path,
    report: Report,
    ledger: SecretLedger,
) -> None:
    import threading

    # Every event in one claimed batch, all held by the receiver at once when the worker dies.
    events = int(scale(20, 100))
    with report.scenario(
        "Webhook worker SIGKILLed mid-delivery",
        load=f"{events} project.created events from a gateway process",
        fault="`specway webhooks worker` SIGKILLed while the receiver holds its requests",
    ) as row:
        env = specway_env(pg_database)
        gateway = Gateway(tmp_path, env)
        gateway.start()
        first = Worker(tmp_path, env, name="worker-killed")
        second = Worker(tmp_path, env, name="worker-survivor")
        try:
            who = register(gateway.url, ledger)
            with httpx.Client(base_url=gateway.url, timeout=30, headers=who.headers) as client:
                hook = client.post("/v1/webhooks", json={"url": receiver.url, "events": ["*"]})
                assert hook.status_code == 201, hook.text
                ledger.add(hook.json()["secret"])
                receiver.hold = threading.Event()
                for i in range(events):
                    made = client.post("/v1/projects", json={"name": f"hooked-{i}"})
                    assert made.status_code == 201, made.text
            first.start("--batch-size", "100")
            receiver.wait_for(events, 30)  # every delivery is mid-request now
            assert first.child is not None
            first.child.signal(signal.SIGKILL)
            first.child.wait(10)
            killed_at = time.monotonic()
            receiver.hold.set()
            receiver.hold = None
            leased = query(
                pg_database,
                "SELECT count(*) FROM webhook_deliveries WHERE lease_token IS NOT NULL"
                " AND status = 'pending' AND attempt_count = 0",
            )[0][0]
            if SOAK:
                second.start()
                receiver.wait_for(2 * events, 180)
                second.child.stop()  # type: ignore[union-attr]
            else:
                asyncio.run(_take_over(pg_database, model))
            redelivered_after = time.monotonic() - killed_at
            states = query(pg_database, "SELECT status, attempt_count FROM webhook_deliveries")
            attempts = query(
                pg_database, "SELECT delivery_id, attempt, success FROM webhook_attempts"
            )
            sent = Counter(r.headers["webhook-id"] for r in receiver.requests)
            row.figures.update(
                events=events,
                leased_by_dead_worker=leased,
                lost_events=events - len(sent),
                **{"sends per event (at-least-once)": dict(Counter(sent.values()))},
                duplicate_recorded_attempts=len(attempts) - len({a[0] for a in attempts}),
                redelivered_after_s=redelivered_after,
                survivor="worker process (real lease)" if SOAK else "in-process, clock moved",
            )
            assert leased == events
            assert len(sent) == events
            assert set(states) == {("succeeded", 1)}
            assert sorted((n, ok) for _, n, ok in attempts) == [(1, True)] * events
        finally:
            if receiver.hold is not None:
                receiver.hold.set()
            for child in (first.child, second.child, gateway.child):
                if child is not None:
                    child.stop()
                    ledger.capture(child.name + " log", child.log_text())


async def _take_over(database_url: str, model: SpecModel) -> None:
    """A survivor on a clock just past the dead worker's lease delivers everything."""
    async with webhook_env(database_url, model, secret_key=SECRET_KEY) as env:
        async with env.database.session() as session:
            expiry = (
                await session.execute(select(func.max(WebhookDelivery.lease_expires_at)))
            ).scalar_one()
        survivor = env.worker(batch_size=100)
        env.clock.set(as_utc(expiry) - timedelta(seconds=1))
        assert await survivor.run_once() == 0, "claimed while the dead worker's lease held"
        env.clock.set(max(as_utc(expiry) + timedelta(seconds=1), datetime.now(UTC)))
        while await survivor.run_once():
            pass
