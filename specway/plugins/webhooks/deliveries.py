"""The delivery log and the operator's levers: test events, redeliver, recover.

Redelivery and recovery never rewrite history: they add a fresh delivery (a new retry schedule)
for the same event, so the failed delivery and its attempts stay in the log. The event id, and so
``webhook-id``, is unchanged: receivers that already processed the event can recognise it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from specway.errors import Conflict, InternalError, NotFound
from specway.ids import as_utc, rfc3339
from specway.pagination import PageRequest
from specway.plugins.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from specway.plugins.webhooks.outbox import emit_event, service_of, wake_after_commit
from specway.plugins.webhooks.service import WebhookService

D = WebhookDelivery


def attempt_to_dict(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "attempt": attempt.attempt,
        "status_code": attempt.status_code,
        "success": attempt.success,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
        "response_body": attempt.response_body,
        "attempted_at": rfc3339(attempt.created_at),
        "next_attempt_at": rfc3339(attempt.next_attempt_at),
    }


def delivery_to_dict(
    delivery: WebhookDelivery, event: WebhookEvent, attempts: list[WebhookAttempt]
) -> dict[str, Any]:
    """The API shape of a delivery with its attempt log (oldest attempt first)."""
    return {
        "id": delivery.id,
        "webhook_id": delivery.endpoint_id,
        "event_id": event.id,
        "event": event.type,
        "status": delivery.status,
        "attempts": delivery.attempt_count,
        "last_status_code": delivery.last_status_code,
        "last_attempt_at": rfc3339(delivery.last_attempt_at),
        "next_attempt_at": rfc3339(delivery.next_attempt_at),
        "created_at": rfc3339(delivery.created_at),
        "attempt_log": [attempt_to_dict(a) for a in attempts],
    }


async def deliveries_as_dicts(
    session: AsyncSession, rows: list[tuple[WebhookDelivery, WebhookEvent]]
) -> list[dict[str, Any]]:
    """Serialise ``rows`` with their attempts (one query for all attempts)."""
    ids = [d.id for d, _ in rows]
    log: dict[str, list[WebhookAttempt]] = {i: [] for i in ids}
    if ids:
        found = await session.execute(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(ids))
            .order_by(WebhookAttempt.delivery_id, WebhookAttempt.attempt)
        )
        for attempt in found.scalars():
            log[attempt.delivery_id].append(attempt)
    return [delivery_to_dict(d, e, log[d.id]) for d, e in rows]


async def list_deliveries(
    session: AsyncSession,
    endpoint: WebhookEndpoint,
    page: PageRequest,
    *,
    status: str | None = None,
    event: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of ``endpoint``'s deliveries, newest first, each with its attempt log."""
    query = (
        select(D, WebhookEvent)
        .join(WebhookEvent, WebhookEvent.id == D.event_id)
        .where(D.endpoint_id == endpoint.id)
    )
    if status is not None:
        query = query.where(D.status == status)
    if event is not None:
        query = query.where(WebhookEvent.type == event)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(
        query.order_by(D.created_at.desc(), D.id.desc()).offset(page.offset).limit(page.per_page)
    )
    pairs = [(d, e) for d, e in rows.tuples()]
    return await deliveries_as_dicts(session, pairs), int(total)


async def get_delivery(
    session: AsyncSession, endpoint: WebhookEndpoint, delivery_id: str
) -> tuple[WebhookDelivery, WebhookEvent]:
    row = (
        await session.execute(
            select(D, WebhookEvent)
            .join(WebhookEvent, WebhookEvent.id == D.event_id)
            .where(D.id == delivery_id, D.endpoint_id == endpoint.id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(
            f"Delivery {delivery_id} not found",
            details={"resource_type": "webhook_delivery", "resource_id": delivery_id},
        )
    return row[0], row[1]


def _require_enabled(endpoint: WebhookEndpoint) -> None:
    if not endpoint.enabled:
        raise Conflict(
            f"Webhook {endpoint.id} is disabled ({endpoint.disabled_reason}); enable it first",
            details={"disabled_reason": endpoint.disabled_reason},
        )


def _new_delivery(endpoint: WebhookEndpoint, event: WebhookEvent, now: datetime) -> WebhookDelivery:
    return D(
        organization_id=endpoint.organization_id,
        endpoint_id=endpoint.id,
        event_id=event.id,
        status="pending",
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )


async def redeliver(
    session: AsyncSession, service: WebhookService, endpoint: WebhookEndpoint, delivery_id: str
) -> dict[str, Any]:
    """A new delivery of the same event to ``endpoint``, due now; 409 while one is pending."""
    _require_enabled(endpoint)
    _, event = await get_delivery(session, endpoint, delivery_id)
    if await _pending_for(session, endpoint, [event.id]):
        raise Conflict(
            f"Event {event.id} already has a pending delivery to webhook {endpoint.id}",
            details={"event_id": event.id},
        )
    fresh = _new_delivery(endpoint, event, service.now())
    session.add(fresh)
    await session.flush()
    _wake_on_commit(session)
    return delivery_to_dict(fresh, event, [])


async def recover(
    session: AsyncSession,
    service: WebhookService,
    endpoint: WebhookEndpoint,
    since: datetime,
    until: datetime | None = None,
) -> int:
    """Redeliver every event whose delivery to ``endpoint`` failed in ``[since, until)``."""
    _require_enabled(endpoint)
    query = select(D.event_id).where(
        D.endpoint_id == endpoint.id, D.status == "failed", D.created_at >= as_utc(since)
    )
    if until is not None:
        query = query.where(D.created_at < as_utc(until))
    failed = list(dict.fromkeys((await session.execute(query)).scalars()))
    busy = await _pending_for(session, endpoint, failed)
    wanted = [e for e in failed if e not in busy]
    if not wanted:
        return 0
    events = (
        await session.execute(select(WebhookEvent).where(WebhookEvent.id.in_(wanted)))
    ).scalars()
    now = service.now()
    count = 0
    for event in events:
        session.add(_new_delivery(endpoint, event, now))
        count += 1
    await session.flush()
    _wake_on_commit(session)
    return count


async def send_test(
    session: AsyncSession, service: WebhookService, endpoint: WebhookEndpoint
) -> dict[str, Any]:
    """Emit a ``webhook.test`` event to ``endpoint`` alone (whatever its filter)."""
    _require_enabled(endpoint)
    now = service.now()
    event = await emit_event(
        session,
        "webhook.test",
        {"webhook": {"id": endpoint.id, "url": endpoint.url}, "sent_at": rfc3339(now)},
        organization_id=endpoint.organization_id,
        project_id=endpoint.project_id,
        endpoint_id=endpoint.id,
    )
    if event is None:
        raise InternalError("The test event could not be recorded")
    delivery = (await session.execute(select(D).where(D.event_id == event.id))).scalar_one()
    return delivery_to_dict(delivery, event, [])


async def _pending_for(
    session: AsyncSession, endpoint: WebhookEndpoint, event_ids: list[str]
) -> set[str]:
    if not event_ids:
        return set()
    found = await session.execute(
        select(D.event_id).where(
            D.endpoint_id == endpoint.id, D.status == "pending", D.event_id.in_(event_ids)
        )
    )
    return set(found.scalars())


def _wake_on_commit(session: AsyncSession) -> None:
    service = service_of(session)
    if service is not None:
        wake_after_commit(session, service)
