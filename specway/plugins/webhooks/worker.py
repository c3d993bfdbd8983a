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
from typing import Any, cast

import orjson
from sqlalchemy import Table, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from specway.errors import StorageError
from specway.ids import as_utc, new_id, rfc3339
from specway.plugins.metrics import counters
from specway.plugins.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from specway.plugins.webhooks.outbox import payload_ok, write_event
from specway.plugins.webhooks.schedule import DISABLE_AFTER, parse_retry_after
from specway.plugins.webhooks.sender import AttemptResult, WebhookSender
from specway.plugins.webhooks.service import WebhookService
from specway.plugins.webhooks.signing import signed_delivery
from specway.storage.database import Database

logger = logging.getLogger("specway.webhooks")


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
    return _body(event.id, event.type, event.created_at, event.data)


def _body(event_id: str, type: str, created_at: datetime, data: Any) -> bytes:
    return orjson.dumps(
        {"id": event_id, "event": type, "timestamp": rfc3339(created_at), "data": data}
    )


_DELIVERIES = cast(Table, WebhookDelivery.__table__)
_ENDPOINTS = cast(Table, WebhookEndpoint.__table__)
_EVENTS = cast(Table, WebhookEvent.__table__)
_ATTEMPTS = cast(Table, WebhookAttempt.__table__)
_d, _e, _v = _DELIVERIES.c, _ENDPOINTS.c, _EVENTS.c


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
        free = or_(_d.lease_expires_at.is_(None), _d.lease_expires_at < now)
        due = (
            select(_d.id)
            .select_from(_DELIVERIES.join(_ENDPOINTS, _e.id == _d.endpoint_id))
            .where(_d.status == "pending", _d.next_attempt_at <= now, free, _e.enabled.is_(True))
            .order_by(_d.next_attempt_at, _d.id)
            .limit(self.batch_size)
        )
        if self.database.dialect == "postgresql":
            due = due.with_for_update(of=_DELIVERIES, skip_locked=True)
        leased = (
            select(
                _d.id,
                _d.attempt_count,
                _e.id.label("endpoint_id"),
                _e.url,
                _e.secret,
                _e.previous_secret,
                _e.previous_secret_expires_at,
                _v.id.label("event_id"),
                _v.type,
                _v.data,
                _v.created_at,
            )
            .select_from(
                _DELIVERIES.join(_ENDPOINTS, _e.id == _d.endpoint_id).join(
                    _EVENTS, _v.id == _d.event_id
                )
            )
            .where(_d.lease_token == token)
            .order_by(_d.next_attempt_at, _d.id)
        )

        def work(connection: Connection) -> list[Any]:
            # Two statements, not UPDATE … IN (subquery): PostgreSQL may run a LIMIT … SKIP
            # LOCKED subquery more than once and so lease more rows than asked for. The
            # rows stay locked until commit; the conditions repeated in the UPDATE make it a
            # compare-and-set where there are no row locks (SQLite).
            ids = list(connection.execute(due).scalars())
            if not ids:
                return []
            connection.execute(
                update(_DELIVERIES)
                .where(_d.id.in_(ids), _d.status == "pending", free)
                .values(lease_token=token, lease_expires_at=now + self.lease)
            )
            return list(connection.execute(leased).all())

        rows = await self.database.transaction(work)
        service = self.service
        return [
            ClaimedDelivery(
                delivery_id=row.id,
                lease_token=token,
                attempt=row.attempt_count + 1,
                endpoint_id=row.endpoint_id,
                url=row.url,
                secrets=service.secrets_of(
                    row.endpoint_id,
                    row.secret,
                    row.previous_secret,
                    row.previous_secret_expires_at,
                    now,
                ),
                event_id=row.event_id,
                body=_body(row.event_id, row.type, row.created_at, row.data),
            )
            for row in rows
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
        service = self.service
        endpoint_query = select(
            _e.organization_id, _e.project_id, _e.url, _e.enabled, _e.failing_since
        ).where(_e.id == claimed.endpoint_id)

        def work(connection: Connection) -> tuple[str, str | None, bool] | None:
            """``(status, disable_reason, whether an event was queued)``; ``None``: the
            lease or the endpoint is gone (nothing written)."""
            endpoint = connection.execute(endpoint_query).first()
            if endpoint is None:  # deleted meanwhile; its deliveries went with it
                return None
            disable_reason: str | None = None
            failing_since = endpoint.failing_since
            if result.success:
                next_at, status, failing_since = None, "succeeded", None
            elif result.status_code == 410:
                next_at, status, disable_reason = None, "failed", "gone"
            else:
                retry_after = parse_retry_after(result.retry_after, now)
                next_at = service.schedule.next_attempt(claimed.attempt, now, retry_after)
                status = "pending" if next_at is not None else "failed"
                if failing_since is None:
                    failing_since = now
                elif now - as_utc(failing_since) >= DISABLE_AFTER:
                    next_at, status, disable_reason = None, "failed", "failing"
            # Compare-and-set on the lease first: nothing is written unless we still hold it.
            changed = connection.execute(
                update(_DELIVERIES)
                .where(_d.id == claimed.delivery_id, _d.lease_token == claimed.lease_token)
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
            )
            if changed.rowcount != 1:
                return None
            connection.execute(
                update(_ENDPOINTS)
                .where(_e.id == claimed.endpoint_id)
                .values(failing_since=failing_since)
            )
            connection.execute(
                insert(_ATTEMPTS).values(
                    id=new_id("wha"),
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
            queued = False
            if disable_reason is not None and endpoint.enabled:
                queued = disable_endpoint(
                    connection,
                    service,
                    _Endpoint(
                        claimed.endpoint_id,
                        endpoint.url,
                        endpoint.organization_id,
                        endpoint.project_id,
                        failing_since,
                    ),
                    disable_reason,
                    now,
                )
            return status, disable_reason, queued

        done = await self.database.transaction(work)
        if done is None:
            counters.webhook_delivery("lease_lost")
            logger.warning(
                "webhook delivery %s: lease lost; attempt %d result discarded",
                claimed.delivery_id,
                claimed.attempt,
            )
            return False
        status, disable_reason, queued = done
        if queued:
            service.notify()
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


@dataclass(frozen=True, slots=True)
class _Endpoint:
    """What disabling an endpoint writes and tells."""

    id: str
    url: str
    organization_id: str | None
    project_id: str | None
    failing_since: datetime | None


def disable_endpoint(
    connection: Connection,
    service: WebhookService,
    endpoint: _Endpoint,
    reason: str,
    now: datetime,
) -> bool:
    """Disable ``endpoint``, fail its pending deliveries and emit ``endpoint.disabled`` (in
    the caller's transaction); whether the event queued deliveries."""
    connection.execute(
        update(_ENDPOINTS)
        .where(_e.id == endpoint.id)
        .values(enabled=False, disabled_reason=reason, updated_at=now)
    )
    connection.execute(
        update(_DELIVERIES)
        .where(_d.endpoint_id == endpoint.id, _d.status == "pending")
        .values(status="failed", next_attempt_at=None, updated_at=now)
    )
    logger.warning("webhook endpoint %s disabled (%s)", endpoint.id, reason)
    data = {
        "endpoint": {"id": endpoint.id, "url": endpoint.url},
        "reason": reason,
        "failing_since": rfc3339(endpoint.failing_since),
        "disabled_at": rfc3339(now),
    }
    if not payload_ok(service, "endpoint.disabled", data):
        return False
    _, queued = write_event(
        connection,
        service,
        "endpoint.disabled",
        data,
        endpoint.organization_id,
        endpoint.project_id,
        None,
    )
    return queued


def _outcome(status: str, disable_reason: str | None) -> str:
    """The ``specway_webhook_deliveries`` outcome of a recorded attempt."""
    if status == "succeeded":
        return "delivered"
    if disable_reason is not None:
        return "disabled"  # failed, and the endpoint with it
    return "retry_scheduled" if status == "pending" else "failed"
