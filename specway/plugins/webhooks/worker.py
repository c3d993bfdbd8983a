"""The delivery worker: claim due deliveries with a lease, send them, record each attempt.

Claiming selects up to ``batch_size`` due deliveries of enabled endpoints (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so concurrent workers take disjoint rows) and stamps them with a fresh
lease token and expiry in the same transaction; the ``UPDATE`` repeats the "due and not leased"
conditions, which makes it a compare-and-set under SQLite's single writer. A delivery whose
lease ran out (its worker crashed or hung) is due again. Results are written back only while
the worker still holds the lease, so two workers never record the same attempt; a worker that
lost its lease discards its result (the delivery was possibly sent twice: delivery is
at-least-once and receivers dedupe on ``webhook-id``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from specway.errors import StorageError
from specway.ids import as_utc, rfc3339
from specway.plugins.metrics import counters
from specway.plugins.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from specway.plugins.webhooks.outbox import emit_event
from specway.plugins.webhooks.schedule import DISABLE_AFTER, parse_retry_after
from specway.plugins.webhooks.sender import AttemptResult, WebhookSender
from specway.plugins.webhooks.service import WebhookService
from specway.plugins.webhooks.signing import signed_delivery
from specway.storage.database import Database

logger = logging.getLogger("specway.webhooks")

D = WebhookDelivery
E = WebhookEndpoint


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """Everything needed to make one attempt, read while claiming."""

    delivery_id: str
    lease_token: str
    attempt: int
    endpoint_id: str
    url: str
    secrets: list[str]
    event_id: str
    body: bytes


def delivery_body(event: WebhookEvent) -> bytes:
    """The JSON body of every delivery of ``event``: ``{id, event, timestamp, data}``."""
    return orjson.dumps(
        {
            "id": event.id,
            "event": event.type,
            "timestamp": rfc3339(event.created_at),
            "data": event.data,
        }
    )


class WebhookWorker:
    """Delivers due webhooks from ``database``; ``run()`` loops, ``run_once()`` does one batch."""

    def __init__(
        self,
        database: Database,
        service: WebhookService,
        *,
        sender: WebhookSender | None = None,
        lease: timedelta | None = None,
        batch_size: int = 20,
        poll_interval: float = 1.0,
    ) -> None:
        self.database = database
        self.service = service
        self.sender = sender or WebhookSender(
            service.guard, timeout=service.settings.webhook_timeout
        )
        # The lease must outlast the longest attempt, or a slow attempt would be re-claimed.
        self.lease = lease or timedelta(seconds=max(60.0, 4 * service.settings.webhook_timeout))
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()

    async def claim(self) -> list[ClaimedDelivery]:
        """Lease up to ``batch_size`` due deliveries and read what sending them needs."""
        now = self.service.now()
        token = uuid.uuid4().hex
        free = or_(D.lease_expires_at.is_(None), D.lease_expires_at < now)
        due = (
            select(D.id)
            .join(E, E.id == D.endpoint_id)
            .where(D.status == "pending", D.next_attempt_at <= now, free, E.enabled.is_(True))
            .order_by(D.next_attempt_at, D.id)
            .limit(self.batch_size)
        )
        if self.database.dialect == "postgresql":
            due = due.with_for_update(of=D, skip_locked=True)
        async with self.database.session() as session, session.begin():
            # Two statements, not UPDATE … IN (subquery): PostgreSQL may run a LIMIT … SKIP
            # LOCKED subquery more than once and so lease more rows than asked for. The
            # rows stay locked until commit; the conditions repeated in the UPDATE make it a
            # compare-and-set where there are no row locks (SQLite).
            ids = list((await session.execute(due)).scalars())
            if not ids:
                return []
            await session.execute(
                update(D)
                .where(D.id.in_(ids), D.status == "pending", free)
                .values(lease_token=token, lease_expires_at=now + self.lease)
                .execution_options(synchronize_session=False)
            )
            rows = (
                await session.execute(
                    select(D, E, WebhookEvent)
                    .join(E, E.id == D.endpoint_id)
                    .join(WebhookEvent, WebhookEvent.id == D.event_id)
                    .where(D.lease_token == token)
                    .order_by(D.next_attempt_at, D.id)
                )
            ).all()
            return [
                ClaimedDelivery(
                    delivery_id=delivery.id,
                    lease_token=token,
                    attempt=delivery.attempt_count + 1,
                    endpoint_id=endpoint.id,
                    url=endpoint.url,
                    secrets=self.service.signing_secrets(endpoint, now),
                    event_id=event.id,
                    body=delivery_body(event),
                )
                for delivery, endpoint, event in rows
            ]

    async def attempt(self, claimed: ClaimedDelivery) -> AttemptResult:
        """Sign and send one claimed delivery (no database access)."""
        timestamp = int(self.service.now().timestamp())
        body, headers = signed_delivery(
            claimed.secrets,
            claimed.event_id,
            timestamp,
            claimed.body,
            self.service.catalogue.signing,
        )
        return await self.sender.send(claimed.url, headers, body)

    async def deliver(self, claimed: ClaimedDelivery) -> bool:
        """Attempt ``claimed`` and record the result; ``False`` if the lease was lost."""
        result = await self.attempt(claimed)
        return await self.record(claimed, result)

    async def record(self, claimed: ClaimedDelivery, result: AttemptResult) -> bool:
        """Write the attempt and the delivery's next state, if this worker still holds it."""
        now = self.service.now()
        async with self.database.session() as session, session.begin():
            endpoint = await session.get(E, claimed.endpoint_id)
            if endpoint is None:  # deleted meanwhile; its deliveries went with it
                return False
            disable_reason: str | None = None
            failing_since = endpoint.failing_since
            if result.success:
                next_at, status, failing_since = None, "succeeded", None
            elif result.status_code == 410:
                next_at, status, disable_reason = None, "failed", "gone"
            else:
                retry_after = parse_retry_after(result.retry_after, now)
                next_at = self.service.schedule.next_attempt(claimed.attempt, now, retry_after)
                status = "pending" if next_at is not None else "failed"
                if failing_since is None:
                    failing_since = now
                elif now - as_utc(failing_since) >= DISABLE_AFTER:
                    next_at, status, disable_reason = None, "failed", "failing"
            # Compare-and-set on the lease first: nothing is written unless we still hold it.
            changed = await session.execute(
                update(D)
                .where(D.id == claimed.delivery_id, D.lease_token == claimed.lease_token)
                .values(
                    status=status,
                    attempt_count=claimed.attempt,
                    next_attempt_at=next_at,
                    lease_token=None,
                    lease_expires_at=None,
                    last_status_code=result.status_code,
                    last_attempt_at=now,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if _rowcount(changed) != 1:
                counters.webhook_delivery("lease_lost")
                logger.warning(
                    "webhook delivery %s: lease lost; attempt %d result discarded",
                    claimed.delivery_id,
                    claimed.attempt,
                )
                return False
            endpoint.failing_since = failing_since
            session.add(
                WebhookAttempt(
                    organization_id=endpoint.organization_id,
                    delivery_id=claimed.delivery_id,
                    attempt=claimed.attempt,
                    status_code=result.status_code,
                    success=result.success,
                    error=result.error,
                    duration_ms=result.duration_ms,
                    response_body=result.response_body,
                    next_attempt_at=next_at,
                    created_at=now,
                )
            )
            if disable_reason is not None and endpoint.enabled:
                await disable_endpoint(session, self.service, endpoint, disable_reason, now)
        counters.webhook_delivery(_outcome(status, disable_reason))
        logger.info(
            "webhook attempt",
            extra={
                "delivery_id": claimed.delivery_id,
                "endpoint_id": claimed.endpoint_id,
                "attempt": claimed.attempt,
                "status_code": result.status_code,
                "outcome": status,
                "duration_ms": result.duration_ms,
            },
        )
        return True

    async def run_once(self) -> int:
        """Claim one batch and deliver it; the number of deliveries attempted."""
        claimed = await self.claim()
        if claimed:
            results = await asyncio.gather(
                *(self.deliver(c) for c in claimed), return_exceptions=True
            )
            for item, outcome in zip(claimed, results, strict=True):
                if isinstance(outcome, BaseException):
                    # Unrecorded: the lease runs out and the delivery is tried again.
                    logger.error(
                        "webhook delivery %s: recording the attempt failed",
                        item.delivery_id,
                        exc_info=outcome,
                    )
        return len(claimed)

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; idle, wait for a wake-up or ``poll_interval``."""
        unsubscribe = self.service.subscribe(self.wake)
        try:
            while not stop.is_set():
                # Cleared before claiming, never after: a wake-up that arrives while a claim
                # finds nothing must still end the wait below (no lost wake-ups).
                self._wake.clear()
                try:
                    done = await self.run_once()
                except (SQLAlchemyError, StorageError, OSError):
                    logger.exception("webhook worker: database error; retrying")
                    done = 0
                except Exception:
                    # A background loop must outlive any one bad batch.
                    logger.exception("webhook worker: unexpected error; retrying")
                    done = 0
                if done:
                    continue
                waiters = [
                    asyncio.ensure_future(self._wake.wait()),
                    asyncio.ensure_future(stop.wait()),
                ]
                try:
                    await asyncio.wait(
                        waiters, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    for waiter in waiters:
                        waiter.cancel()
        finally:
            unsubscribe()


async def disable_endpoint(
    session: AsyncSession,
    service: WebhookService,
    endpoint: WebhookEndpoint,
    reason: str,
    now: datetime,
) -> None:
    """Disable ``endpoint``, fail its pending deliveries and emit ``endpoint.disabled``."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.updated_at = now
    await session.execute(
        update(D)
        .where(D.endpoint_id == endpoint.id, D.status == "pending")
        .values(status="failed", next_attempt_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    logger.warning("webhook endpoint %s disabled (%s)", endpoint.id, reason)
    await emit_event(
        session,
        "endpoint.disabled",
        {
            "endpoint": {"id": endpoint.id, "url": endpoint.url},
            "reason": reason,
            "failing_since": rfc3339(endpoint.failing_since),
            "disabled_at": rfc3339(now),
        },
        organization_id=endpoint.organization_id,
        project_id=endpoint.project_id,
    )


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _outcome(status: str, disable_reason: str | None) -> str:
    """The ``specway_webhook_deliveries`` outcome of a recorded attempt."""
    if status == "succeeded":
        return "delivered"
    if disable_reason is not None:
        return "disabled"  # failed, and the endpoint with it
    return "retry_scheduled" if status == "pending" else "failed"
