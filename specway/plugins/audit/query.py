"""Read the audit log: filters, tenant isolation and opaque cursor pagination (or numbered
pages, for APIs that document them).

Entries come newest first, ordered by ``(timestamp, id)``. A cursor is the position of the last
entry of a page, base64url-encoded; the next page starts strictly after it, so entries written
meanwhile never shift or repeat a page.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from specway.errors import BadRequest
from specway.ids import as_utc
from specway.pagination import PageRequest
from specway.plugins.audit.models import AuditLog


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """The filters of ``GET /v1/audit-logs``; bounds are UTC, ``before`` is exclusive."""

    user: str | None = None
    action: str | None = None
    target_type: str | None = None
    since: datetime | None = None
    before: datetime | None = None

    @classmethod
    def parse(
        cls,
        *,
        user: str | None = None,
        action: str | None = None,
        target_type: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> AuditFilter:
        """Read the query parameters; ``BadRequest`` naming the field for a bad date."""
        since = parse_when(date_from, "date_from", end=False) if date_from else None
        before = parse_when(date_to, "date_to", end=True) if date_to else None
        if since and before and since >= before:
            raise BadRequest(
                "date_from must be before date_to",
                details=[{"field": "date_from", "in": "query", "reason": "after date_to"}],
            )
        return cls(user or None, action or None, target_type or None, since, before)


def parse_when(text: str, field: str, *, end: bool) -> datetime:
    """``YYYY-MM-DD`` (a whole UTC day) or an RFC 3339 date-time, as a UTC bound.

    For ``end`` the bound is exclusive: a date means up to the end of that day.
    """
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        moment = as_utc(datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00")))
        return moment + timedelta(microseconds=1) if end else moment
    except (ValueError, OverflowError):
        raise BadRequest(
            f"{field} must be a date (YYYY-MM-DD) or an RFC 3339 date-time",
            details=[{"field": field, "in": "query", "reason": "invalid date"}],
        ) from None


def encode_cursor(entry: AuditLog) -> str:
    position = f"{as_utc(entry.timestamp).isoformat(timespec='microseconds')}|{entry.id}"
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The ``(timestamp, id)`` a cursor points at; ``BadRequest`` if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, entry_id = raw.partition("|")
        if not entry_id:
            raise ValueError("no id")
        return as_utc(datetime.fromisoformat(stamp)), entry_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(
            "cursor is not valid; use next_cursor from the previous page",
            details=[{"field": "cursor", "in": "query", "reason": "invalid cursor"}],
        ) from None


def _filtered(organization_id: str, flt: AuditFilter) -> Select[Any]:
    query = select(AuditLog).where(AuditLog.organization_id == organization_id)
    if flt.user:
        query = query.where(AuditLog.user_id == flt.user)
    if flt.action:
        query = query.where(AuditLog.action == flt.action)
    if flt.target_type:
        query = query.where(AuditLog.target_type == flt.target_type)
    if flt.since:
        query = query.where(AuditLog.timestamp >= flt.since)
    if flt.before:
        query = query.where(AuditLog.timestamp < flt.before)
    return query


async def list_entries(
    session: AsyncSession,
    organization_id: str,
    flt: AuditFilter,
    *,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[AuditLog], str | None]:
    """One page of ``organization_id``'s entries and the cursor of the next (or ``None``)."""
    query = _filtered(organization_id, flt)
    if cursor:
        stamp, entry_id = decode_cursor(cursor)
        query = query.where(
            or_(
                AuditLog.timestamp < stamp,
                and_(AuditLog.timestamp == stamp, AuditLog.id < entry_id),
            )
        )
    query = query.order_by(AuditLog.timestamp.desc(), AuditLog.id.desc()).limit(limit + 1)
    rows = list((await session.execute(query)).scalars())
    if len(rows) > limit:
        return rows[:limit], encode_cursor(rows[limit - 1])
    return rows, None


def entry_to_dict(entry: AuditLog) -> dict[str, Any]:
    """The API shape of one entry (``AuditLogEntry`` in the spec)."""
    return {
        "id": entry.id,
        "timestamp": as_utc(entry.timestamp)
        .isoformat(timespec="microseconds")
        .replace("+00:00", "Z"),
        "action": entry.action,
        "actor_type": entry.actor_type,
        "user_id": entry.user_id,
        "api_key_id": entry.api_key_id,
        "organization": entry.organization_id,
        "ip_address": entry.ip_address,
        "user_agent": entry.user_agent,
        "operation_id": entry.operation_id,
        "method": entry.method,
        "path": entry.path,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "status": entry.status,
        "request_id": entry.request_id,
        "details": entry.details or {},
    }


async def page_entries(
    session: AsyncSession, organization_id: str, flt: AuditFilter, page: PageRequest
) -> tuple[list[AuditLog], int]:
    """One numbered page of ``organization_id``'s entries (newest first) and their total."""
    query = _filtered(organization_id, flt)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    query = query.order_by(AuditLog.timestamp.desc(), AuditLog.id.desc())
    rows = await session.execute(query.offset(page.offset).limit(page.per_page))
    return list(rows.scalars()), int(total)
