"""Every recorded webhook attempt is counted in ``specway_webhook_deliveries`` by outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest
from webhooks_support import Receiver, webhook_env

from specway.plugins.metrics.counters import REGISTRY
from specway.plugins.webhooks import emit_event
from specway.plugins.webhooks.sender import AttemptResult
from specway.plugins.webhooks.subscriptions import create_endpoint
from specway.plugins.webhooks.worker import _outcome
from specway.spec import SpecModel

pytestmark = pytest.mark.anyio


def _count(outcome: str) -> float:
    value = REGISTRY.get_sample_value("specway_webhook_deliveries_total", {"outcome": outcome})
    return value or 0.0


async def test_attempts_are_counted_by_outcome(
    database_url: str, reference_model: SpecModel, receiver: Receiver
) -> None:
    outcomes = ("delivered", "retry_scheduled", "lease_lost")
    before = {o: _count(o) for o in outcomes}
    async with webhook_env(database_url, reference_model) as env:
        async with env.database.session() as session, session.begin():
            await create_endpoint(
                session, env.service, None, {"url": receiver.url, "events": ["user.*"]}
            )
        for i in range(2):
            async with env.database.session() as session, session.begin():
                await emit_event(
                    session,
                    "user.created",
                    {"id": f"user_{i}", "name": "A B", "email": "a@example.com"},
                )
        worker = env.worker(lease=timedelta(seconds=60))
        first, second = await worker.claim()
        assert await worker.record(first, AttemptResult(200, 5)) is True
        assert await worker.record(second, AttemptResult(503, 5)) is True
        assert await worker.record(second, AttemptResult(200, 5)) is False  # lease gone
    after = {o: _count(o) for o in outcomes}
    assert {o: after[o] - before[o] for o in outcomes} == {
        "delivered": 1,
        "retry_scheduled": 1,
        "lease_lost": 1,
    }


def test_outcome_names() -> None:
    assert _outcome("succeeded", None) == "delivered"
    assert _outcome("pending", None) == "retry_scheduled"
    assert _outcome("failed", None) == "failed"
    assert _outcome("failed", "gone") == "disabled"
