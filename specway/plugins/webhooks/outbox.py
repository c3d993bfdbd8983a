"""``emit_event``: write an event and its deliveries in the caller's transaction (an outbox).

Nothing is sent here. The event row and one pending delivery per matching, enabled endpoint are
added to the caller's session; if that transaction rolls back they vanish with it, and if it
commits a worker picks the deliveries up (in-process workers are woken right after the commit).
The webhooks service travels with the session (``session.info``), put there by the plugin, so
handlers need nothing but their session to emit.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from specway.ids import new_id
from specway.plugins.webhooks.catalogue import EventPayloadError, matches
from specway.plugins.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from specway.plugins.webhooks.service import WebhookService
from specway.storage.database import Database, Write
from specway.storage.prepared import Prepared

logger = logging.getLogger("specway.webhooks")

SESSION_KEY = "specway.webhooks"
_UNSET: Any = object()


def attach(database: Database, service: WebhookService) -> None:
    """Make every session of ``database`` carry ``service`` so ``emit_event`` can find it."""
    info = dict(database.sessions.kw.get("info") or {})
    info[SESSION_KEY] = service
    database.sessions.configure(info=info)


def service_of(session: AsyncSession) -> WebhookService | None:
    found = session.info.get(SESSION_KEY)
    return found if isinstance(found, WebhookService) else None


def _current_organization() -> str | None:
    from specway import context

    try:
        principal = context.principal()
    except (LookupError, RuntimeError, KeyError):
        return None
    return principal.organization_id if principal else None


async def emit_event(
    session: AsyncSession,
    type: str,
    data: dict[str, Any],
    *,
    organization_id: str | None = _UNSET,
    project_id: str | None = None,
    endpoint_id: str | None = None,
) -> WebhookEvent | None:
    """Record event ``type`` with payload ``data`` in ``session``'s transaction.

    ``data`` must match the event's schema in ``x-webhooks`` (:class:`EventPayloadError` in
    development; logged and dropped in production). Deliveries go to the enabled endpoints of
    ``organization_id`` (default: the current request's principal's organisation) whose filter
    selects ``type`` and that are not scoped to another project than ``project_id``;
    ``endpoint_id`` targets exactly one endpoint whatever its filter (test events). Returns the
    event row, or ``None`` when the webhooks plugin is not installed or the event was dropped.
    """
    service = service_of(session)
    if service is None:
        logger.debug("webhooks plugin not installed; event %s not recorded", type)
        return None
    if not payload_ok(service, type, data):
        return None
    org = _current_organization() if organization_id is _UNSET else organization_id

    def write(sync: Session) -> tuple[dict[str, Any], bool]:
        sync.flush()  # objects the caller added first (the event may refer to them)
        return write_event(sync.connection(), service, type, data, org, project_id, endpoint_id)

    values, targeted = await session.run_sync(write)
    if targeted:
        wake_after_commit(session, service)
    return WebhookEvent(**values)


async def emit_events(
    session: AsyncSession,
    events: Sequence[tuple[str, dict[str, Any]]],
    *,
    organization_id: str | None = _UNSET,
    project_id: str | None = None,
) -> int:
    """:func:`emit_event` for many events of one organisation at once (a bulk import): one
    flush, one endpoint lookup and one insert of each kind, instead of a round of each per event,
    so a thousand events hold the event loop for milliseconds, not a second. Returns how many
    were recorded (invalid payloads are handled as in :func:`emit_event`)."""
    service = service_of(session)
    if service is None:
        logger.debug("webhooks plugin not installed; %d events not recorded", len(events))
        return 0
    kept = [(type, data) for type, data in events if payload_ok(service, type, data)]
    if not kept:
        return 0
    org = _current_organization() if organization_id is _UNSET else organization_id

    def write(sync: Session) -> bool:
        sync.flush()  # objects the caller added first (the events may refer to them)
        return write_events(sync.connection(), service, kept, org, project_id, None)[1]

    if await session.run_sync(write):
        wake_after_commit(session, service)
    return len(kept)


def record_event(
    connection: Connection,
    service: WebhookService | None,
    type: str,
    data: dict[str, Any],
    *,
    organization_id: str | None,
    project_id: str | None = None,
) -> bool:
    """:func:`emit_event` for synchronous work in ``Database.transaction``.

    Returns whether deliveries were queued: the caller then calls ``service.notify()`` once
    the transaction has committed.
    """
    if service is None or not payload_ok(service, type, data):
        return False
    return write_event(connection, service, type, data, organization_id, project_id, None)[1]


def payload_ok(service: WebhookService, type: str, data: dict[str, Any]) -> bool:
    try:
        service.catalogue.validate(type, data)
    except EventPayloadError:
        if service.strict_payloads:
            raise
        logger.exception("webhook event dropped: its payload does not match the schema")
        return False
    return True


def write_event(
    connection: Connection,
    service: WebhookService,
    type: str,
    data: dict[str, Any],
    org: str | None,
    project_id: str | None,
    endpoint_id: str | None,
) -> tuple[dict[str, Any], bool]:
    """Insert the event and its deliveries; ``(event values, whether any delivery was queued)``."""
    rows, targeted = write_events(connection, service, [(type, data)], org, project_id, endpoint_id)
    return rows[0], targeted


def write_events(
    connection: Connection,
    service: WebhookService,
    events: Sequence[tuple[str, dict[str, Any]]],
    org: str | None,
    project_id: str | None,
    endpoint_id: str | None,
) -> tuple[list[dict[str, Any]], bool]:
    """Insert ``events`` (type, data) and their deliveries: ``(event values, whether any
    delivery was queued)``. One endpoint lookup serves them all (same organisation).

    Core statements built once: the outbox write is on the path of every mutating request.
    """
    now = service.now()
    rows: list[dict[str, Any]] = [
        {
            "id": new_id("msg"),
            "organization_id": org,
            "project_id": project_id,
            "type": type,
            "data": data,
            "created_at": now,
        }
        for type, data in events
    ]
    _INSERT_EVENT.run(connection, rows[0] if len(rows) == 1 else rows)
    params: dict[str, Any] = {"org": org}
    if endpoint_id is not None:
        params["endpoint_id"] = endpoint_id
    endpoints = _endpoints_statement(org is None, endpoint_id is not None).rows(connection, params)
    deliveries = _deliveries(rows, endpoints, org, project_id, endpoint_id, now)
    if deliveries:
        _INSERT_DELIVERY.run(connection, deliveries)
    return rows, bool(deliveries)


async def write_with_event(
    database: Database,
    service: WebhookService | None,
    writes: Sequence[Write],
    type: str,
    data: dict[str, Any],
    *,
    organization_id: str | None,
    project_id: str | None = None,
) -> None:
    """``writes`` and the outbox rows of their event, committed together; wakes the
    webhook workers when deliveries were queued.

    An organisation without an enabled webhook endpoint (most) needs no delivery rows: the
    writes and the event are then one statement on PostgreSQL, guarded by the endpoints'
    read (``Database.write_unless``). With endpoints, they are read and the deliveries
    written with the rest (two statements).
    """
    if service is None or not payload_ok(service, type, data):
        await database.write(writes)
        return
    now = service.now()
    org = organization_id
    row = {
        "id": new_id("msg"),
        "organization_id": org,
        "project_id": project_id,
        "type": type,
        "data": data,
        "created_at": now,
    }
    event: list[Write] = [*writes, (_INSERT_EVENT, row)]
    endpoints = await database.write_unless(
        _endpoints_statement(org is None, False), {"org": org}, event
    )
    if endpoints is None:
        return  # no endpoint: written
    deliveries = _deliveries([row], endpoints, org, project_id, None, now)
    await database.write([*event, (_INSERT_DELIVERY, deliveries)] if deliveries else event)
    if deliveries:
        service.notify()


def _deliveries(
    rows: Sequence[dict[str, Any]],
    endpoints: Sequence[Any],
    org: str | None,
    project_id: str | None,
    endpoint_id: str | None,
    now: Any,
) -> list[dict[str, Any]]:
    """One pending delivery per event row and endpoint that takes it."""
    return [
        {
            "id": new_id("whd"),
            "organization_id": org,
            "endpoint_id": endpoint.id,
            "event_id": row["id"],
            "status": "pending",
            "attempt_count": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for row in rows
        for endpoint in endpoints
        if endpoint_id is not None
        or (matches(endpoint.events, row["type"]) and endpoint.project_id in (None, project_id))
    ]


_EVENTS: Table = WebhookEvent.__table__  # type: ignore[assignment]
_ENDPOINTS: Table = WebhookEndpoint.__table__  # type: ignore[assignment]
_INSERT_EVENT = Prepared(insert(_EVENTS))
_DELIVERIES: Table = WebhookDelivery.__table__  # type: ignore[assignment]
_INSERT_DELIVERY = Prepared(insert(_DELIVERIES))


@functools.cache
def _endpoints_statement(no_org: bool, one: bool) -> Prepared:
    """The enabled endpoints of an organisation (``org``), or just ``endpoint_id``."""
    column = _ENDPOINTS.c.organization_id
    query = select(_ENDPOINTS.c.id, _ENDPOINTS.c.events, _ENDPOINTS.c.project_id).where(
        _ENDPOINTS.c.enabled.is_(True),
        column.is_(None) if no_org else column == bindparam("org"),
    )
    if one:
        query = query.where(_ENDPOINTS.c.id == bindparam("endpoint_id"))
    return Prepared(query)


def wake_after_commit(session: AsyncSession, service: WebhookService) -> None:
    sync: Session = session.sync_session
    if not sa_event.contains(sync, "after_commit", _after_commit):
        sa_event.listen(sync, "after_commit", _after_commit)


def _after_commit(session: Session) -> None:
    service = session.info.get(SESSION_KEY)
    if isinstance(service, WebhookService):
        service.notify()
