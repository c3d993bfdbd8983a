"""``DeliveryLog``: an endpoint's deliveries and the operator's levers, on the store path.

A page of deliveries (newest first, with their events and the total) is one prebuilt statement;
the attempts of that page one more, selected by the same page as a subquery, so neither needs
an expanding ``IN`` list (which the prepared path does not cover). Both run by
``Database.rows``. The shapes are :func:`~specway.plugins.webhooks.deliveries.delivery_to_dict`'s.

The levers (a test event, a redelivery, a recovery) never rewrite history: each adds fresh
deliveries, in one ``Database.transaction`` or guarded write, and wakes the workers. The
endpoint is a record :class:`~specway.plugins.webhooks.endpoint_store.EndpointStore` read.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Integer, Select, Table, bindparam, func, insert, select
from sqlalchemy.engine import Connection

from specway.errors import Conflict, InternalError, NotFound
from specway.ids import as_utc, new_id, rfc3339
from specway.pagination import PageRequest
from specway.plugins.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from specway.plugins.webhooks.outbox import payload_ok, write_event
from specway.plugins.webhooks.service import WebhookService
from specway.storage.database import Database
from specway.storage.prepared import Prepared
from specway.storage.sqltime import rfc3339_text

_DELIVERIES = cast(Table, WebhookDelivery.__table__)
_EVENTS = cast(Table, WebhookEvent.__table__)
_ATTEMPTS = cast(Table, WebhookAttempt.__table__)
_d, _v, _a = _DELIVERIES.c, _EVENTS.c, _ATTEMPTS.c


def _matching(status: bool, event: bool) -> Select[Any]:
    """The endpoint's deliveries (with their events) that the filters keep."""
    where = [_d.endpoint_id == bindparam("endpoint_id")]
    if status:
        where.append(_d.status == bindparam("status"))
    if event:
        where.append(_v.type == bindparam("event"))
    joined = _DELIVERIES.join(_EVENTS, _v.id == _d.event_id)
    return select(_d.id).select_from(joined).where(*where)


def _paged(query: Select[Any]) -> Select[Any]:
    return (
        query.order_by(_d.created_at.desc(), _d.id.desc())
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )


@functools.cache
def _statements(status: bool, event: bool) -> tuple[Prepared, Prepared, Prepared]:
    """``(page, attempts of the page, count)`` for one shape of filters."""
    matching = _matching(status, event)
    count = select(func.count()).select_from(matching.subquery())
    page = _paged(
        matching.with_only_columns(
            _d.id,
            _d.endpoint_id,
            _v.id.label("event_id"),
            _v.type.label("event"),
            _d.status,
            _d.attempt_count,
            _d.last_status_code,
            rfc3339_text(_d.last_attempt_at).label("last_attempt_at"),
            rfc3339_text(_d.next_attempt_at).label("next_attempt_at"),
            rfc3339_text(_d.created_at).label("created_at"),
            count.scalar_subquery().label("total"),
        )
    )
    attempts = (
        select(
            _a.delivery_id,
            _a.attempt,
            _a.status_code,
            _a.success,
            _a.error,
            _a.duration_ms,
            _a.response_body,
            rfc3339_text(_a.created_at).label("attempted_at"),
            rfc3339_text(_a.next_attempt_at).label("next_attempt_at"),
        )
        .where(_a.delivery_id.in_(_paged(matching).scalar_subquery()))
        .order_by(_a.delivery_id, _a.attempt)
    )
    return Prepared(page), Prepared(attempts), Prepared(count)


_INSERT_DELIVERY = Prepared(insert(_DELIVERIES))
# A delivery of the endpoint and its event.
_DELIVERY = Prepared(
    select(_v.id, _v.type)
    .select_from(_DELIVERIES.join(_EVENTS, _v.id == _d.event_id))
    .where(_d.id == bindparam("delivery_id"), _d.endpoint_id == bindparam("endpoint_id"))
)
# The endpoint's pending delivery of an event (the guard of a redelivery).
_PENDING = Prepared(
    select(_d.id).where(
        _d.endpoint_id == bindparam("endpoint_id"),
        _d.status == "pending",
        _d.event_id == bindparam("event_id"),
    )
)
_OF_EVENT = Prepared(select(_d.id).where(_d.event_id == bindparam("event_id")))


def _require_enabled(endpoint: dict[str, Any]) -> None:
    if not endpoint["enabled"]:
        reason = endpoint["disabled_reason"]
        raise Conflict(
            f"Webhook {endpoint['id']} is disabled ({reason}); enable it first",
            details={"disabled_reason": reason},
        )


def _fresh(
    delivery_id: str, endpoint_id: str, event_id: str, event: str, now: datetime
) -> dict[str, Any]:
    """A delivery just queued, as the API shows it."""
    stamp = rfc3339(now)
    return {
        "id": delivery_id,
        "webhook_id": endpoint_id,
        "event_id": event_id,
        "event": event,
        "status": "pending",
        "attempts": 0,
        "last_status_code": None,
        "last_attempt_at": None,
        "next_attempt_at": stamp,
        "created_at": stamp,
        "attempt_log": [],
    }


def _new_delivery(endpoint: dict[str, Any], event_id: str, now: datetime) -> dict[str, Any]:
    return {
        "id": new_id("whd"),
        "organization_id": endpoint["organization"],
        "endpoint_id": endpoint["id"],
        "event_id": event_id,
        "status": "pending",
        "attempt_count": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


class DeliveryLog:
    """The delivery log of one database; ``service``: the webhooks plugin's, for the levers."""

    def __init__(self, database: Database, service: WebhookService | None = None) -> None:
        self.database = database
        self.service = service

    def _service(self) -> WebhookService:
        if self.service is None:
            raise TypeError("DeliveryLog needs the webhook service for this")
        return self.service

    async def send_test(self, endpoint: dict[str, Any]) -> dict[str, Any]:
        """Emit a ``webhook.test`` event to ``endpoint`` alone (whatever its filter)."""
        service = self._service()
        _require_enabled(endpoint)
        now = service.now()
        data = {"webhook": {"id": endpoint["id"], "url": endpoint["url"]}, "sent_at": rfc3339(now)}
        if not payload_ok(service, "webhook.test", data):
            raise InternalError("The test event could not be recorded")

        def work(connection: Connection) -> tuple[dict[str, Any], Sequence[Any]]:
            values, _ = write_event(
                connection,
                service,
                "webhook.test",
                data,
                endpoint["organization"],
                endpoint["project_id"],
                endpoint["id"],
            )
            return values, _OF_EVENT.rows(connection, {"event_id": values["id"]})

        values, queued = await self.database.transaction(work)
        if not queued:  # disabled meanwhile
            raise InternalError("The test event could not be recorded")
        service.notify()
        created = values["created_at"]
        return _fresh(queued[0][0], endpoint["id"], values["id"], "webhook.test", created)

    async def redeliver(self, endpoint: dict[str, Any], delivery_id: str) -> dict[str, Any]:
        """A new delivery of the same event to ``endpoint``, due now; 409 while one is
        pending (the check and the insert are one guarded write)."""
        service = self._service()
        _require_enabled(endpoint)
        found = await self.database.rows(
            _DELIVERY, {"delivery_id": delivery_id, "endpoint_id": endpoint["id"]}
        )
        if not found:
            raise NotFound(
                f"Delivery {delivery_id} not found",
                details={"resource_type": "webhook_delivery", "resource_id": delivery_id},
            )
        event_id, event = found[0]
        now = service.now()
        fresh = _new_delivery(endpoint, event_id, now)
        busy = await self.database.write_unless(
            _PENDING,
            {"endpoint_id": endpoint["id"], "event_id": event_id},
            [(_INSERT_DELIVERY, fresh)],
        )
        if busy is not None:
            raise Conflict(
                f"Event {event_id} already has a pending delivery to webhook {endpoint['id']}",
                details={"event_id": event_id},
            )
        service.notify()
        return _fresh(fresh["id"], endpoint["id"], event_id, event, now)

    async def recover(
        self, endpoint: dict[str, Any], since: datetime, until: datetime | None = None
    ) -> int:
        """Redeliver every event whose delivery to ``endpoint`` failed in ``[since, until)``
        and has no pending one; how many (one transaction)."""
        service = self._service()
        _require_enabled(endpoint)
        now = service.now()
        failed = select(_d.event_id).where(
            _d.endpoint_id == endpoint["id"],
            _d.status == "failed",
            _d.created_at >= as_utc(since),
        )
        if until is not None:
            failed = failed.where(_d.created_at < as_utc(until))
        pending = select(_d.event_id).where(
            _d.endpoint_id == endpoint["id"], _d.status == "pending"
        )
        wanted_query = failed.where(_d.event_id.not_in(pending.scalar_subquery())).distinct()

        def work(connection: Connection) -> int:
            wanted = list(connection.execute(wanted_query).scalars())
            if wanted:
                rows = [_new_delivery(endpoint, event_id, now) for event_id in wanted]
                _INSERT_DELIVERY.run(connection, rows)
            return len(wanted)

        count = await self.database.transaction(work)
        if count:
            service.notify()
        return count

    async def page(
        self,
        endpoint_id: str,
        page: PageRequest,
        *,
        status: str | None = None,
        event: str | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the endpoint's deliveries, newest first, each with its attempt log
        (oldest attempt first), and the total."""
        query, attempts, count = _statements(status is not None, event is not None)
        params: dict[str, Any] = {
            "endpoint_id": endpoint_id,
            "offset": page.offset,
            "limit": page.per_page,
        }
        if status is not None:
            params["status"] = status
        if event is not None:
            params["event"] = event
        rows = await self.database.rows(query, params)
        if not rows:
            total = int((await self.database.rows(count, params))[0][0]) if page.offset else 0
            return [], total
        log: dict[str, list[dict[str, Any]]] = {row.id: [] for row in rows}
        for attempt in await self.database.rows(attempts, params):
            log[attempt.delivery_id].append(
                {
                    "attempt": attempt.attempt,
                    "status_code": attempt.status_code,
                    "success": bool(attempt.success),
                    "error": attempt.error,
                    "duration_ms": attempt.duration_ms,
                    "response_body": attempt.response_body,
                    "attempted_at": attempt.attempted_at,
                    "next_attempt_at": attempt.next_attempt_at,
                }
            )
        items = [
            {
                "id": row.id,
                "webhook_id": row.endpoint_id,
                "event_id": row.event_id,
                "event": row.event,
                "status": row.status,
                "attempts": row.attempt_count,
                "last_status_code": row.last_status_code,
                "last_attempt_at": row.last_attempt_at,
                "next_attempt_at": row.next_attempt_at,
                "created_at": row.created_at,
                "attempt_log": log[row.id],
            }
            for row in rows
        ]
        return items, int(rows[0].total)
