"""Read the audit log: filters, tenant isolation and opaque cursor pagination (or numbered
pages, for APIs that document them).

Entries come newest first, ordered by ``(timestamp, id)``. A cursor is the position of the last
entry of a page, base64url-encoded; the next page starts strictly after it, so entries written
meanwhile never shift or repeat a page.
"""

from __future__ import annotations

import base64
import binascii
import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, Table, and_, bindparam, or_, select

from specway.errors import BadRequest
from specway.ids import as_utc
from specway.plugins.audit.models import AuditLog
from specway.storage.database import Database
from specway.storage.prepared import Prepared


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


def encode_cursor(entry: AuditLog | Any) -> str:
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


_AUDIT: Table = AuditLog.__table__  # type: ignore[assignment]
_a = _AUDIT.c


def filter_values(flt: AuditFilter) -> dict[str, Any]:
    """The values of ``flt``'s filters that apply, under the names :func:`filter_clauses`
    binds them (``org`` aside); the tuple of its keys is a statement's shape."""
    values = {
        "user_id": flt.user,
        "action": flt.action,
        "target_type": flt.target_type,
        "since": flt.since,
        "before": flt.before,
    }
    return {name: value for name, value in values.items() if value}


def filter_clauses(applied: tuple[str, ...]) -> list[ColumnElement[bool]]:
    """The WHERE of an organisation's entries (``org``) with the ``applied`` filters (names of
    :func:`filter_values`), values bound at execution."""
    where = [_a.organization_id == bindparam("org")]
    for name in ("user_id", "action", "target_type"):
        if name in applied:
            where.append(_a[name] == bindparam(name))
    if "since" in applied:
        where.append(_a.timestamp >= bindparam("since", type_=_a.timestamp.type))
    if "before" in applied:
        where.append(_a.timestamp < bindparam("before", type_=_a.timestamp.type))
    return where


@functools.cache
def _page_statement(applied: tuple[str, ...], after: bool) -> Prepared:
    """One shape of cursor page (which filters apply; ``after``: a cursor's position), values
    bound at execution."""
    where = filter_clauses(applied)
    if after:
        stamp = bindparam("stamp", type_=_a.timestamp.type)
        where.append(
            or_(_a.timestamp < stamp, and_(_a.timestamp == stamp, _a.id < bindparam("entry")))
        )
    return Prepared(
        select(*_AUDIT.columns)
        .where(*where)
        .order_by(_a.timestamp.desc(), _a.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )


async def list_entries(
    database: Database,
    organization_id: str,
    flt: AuditFilter,
    *,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[Any], str | None]:
    """One page of ``organization_id``'s entries (rows with the columns' names as attributes)
    and the cursor of the next (or ``None``): one prebuilt statement."""
    params: dict[str, Any] = {"org": organization_id, "limit": limit + 1}
    if cursor:
        params["stamp"], params["entry"] = decode_cursor(cursor)
    values = filter_values(flt)
    params.update(values)
    statement = _page_statement(tuple(values), bool(cursor))
    rows = list(await database.rows(statement, params))
    if len(rows) > limit:
        return rows[:limit], encode_cursor(rows[limit - 1])
    return rows, None


def entry_to_dict(entry: AuditLog | Any) -> dict[str, Any]:
    """The API shape of one entry (``AuditLogEntry`` in the spec): a mapped entry or a row."""
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
