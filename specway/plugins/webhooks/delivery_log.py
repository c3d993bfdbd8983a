"""``DeliveryLog``: reading an endpoint's deliveries and their attempts on the store path.

A page of deliveries (newest first, with their events and the total) is one prebuilt statement;
the attempts of that page one more, selected by the same page as a subquery, so neither needs
an expanding ``IN`` list (which the prepared path does not cover). Both run by
``Database.rows``. The shapes are :func:`~specway.plugins.webhooks.deliveries.delivery_to_dict`'s.
"""

from __future__ import annotations

import functools
from typing import Any, cast

from sqlalchemy import Integer, Select, Table, bindparam, func, select

from specway.pagination import PageRequest
from specway.plugins.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent
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


class DeliveryLog:
    """The delivery log of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

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
