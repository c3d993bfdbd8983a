"""``Audit Logs``: the audit plugin's entries in numbered pages, with the actor's name and
email, for organisation admins: a page, its users and its total are one prebuilt statement
(the audit part serves cursor pages only)."""

from __future__ import annotations

import functools
from typing import Any, cast
from urllib.parse import parse_qs

from sqlalchemy import ColumnElement, Integer, ScalarSelect, Table, bindparam, func, literal, select

from specway import context
from specway.errors import Forbidden
from specway.pagination import PageRequest, list_response, page_request
from specway.plugins.audit import written_so_far
from specway.plugins.audit.models import AuditLog
from specway.plugins.audit.query import AuditFilter, entry_to_dict, filter_clauses, filter_values
from specway.plugins.auth.models import User
from specway.storage.prepared import Prepared

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]

ADMIN_ROLES = frozenset({"admin", "owner"})


def _query_value(name: str) -> str | None:
    raw = bytes(context.current_scope().get("query_string") or b"").decode("latin-1")
    values = parse_qs(raw).get(name)
    return values[-1] if values else None


_AUDIT = cast(Table, AuditLog.__table__)
_USERS = cast(Table, User.__table__)
_a, _u = _AUDIT.c, _USERS.c


def _of_user(column: ColumnElement[Any]) -> ScalarSelect[Any]:
    """``column`` of the entry's user (correlated), NULL without one."""
    return select(column).where(_u.id == _a.user_id).scalar_subquery()


@functools.cache
def _page(applied: tuple[str, ...]) -> Prepared:
    """One shape of numbered page (which filters apply), newest first: the entries with their
    user's name and email and, on every row, the total (one statement; values bound)."""
    where = filter_clauses(applied)
    total = select(func.count()).select_from(_AUDIT).where(*where).scalar_subquery()
    return Prepared(
        select(
            *_AUDIT.columns,
            _of_user(func.trim(_u.first_name + literal(" ") + _u.last_name)).label("user_name"),
            _of_user(_u.email).label("user_email"),
            total.label("total"),
        )
        .where(*where)
        .order_by(_a.timestamp.desc(), _a.id.desc())
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )


async def _entries(
    organization_id: str, flt: AuditFilter, page: PageRequest
) -> tuple[list[Any], int]:
    """One numbered page of the organisation's entries and their total."""
    values = filter_values(flt)
    params = {**values, "org": organization_id, "offset": page.offset, "limit": page.per_page}
    database = context.database()
    statement = _page(tuple(values))
    rows = list(await database.rows(statement, params))
    if rows:
        return rows, int(rows[0].total)
    if not page.offset:
        return [], 0
    # Past the last page: no row carries the total; the first page's does.
    first = await database.rows(statement, {**params, "offset": 0, "limit": 1})
    return [], int(first[0].total) if first else 0


def _entry(row: Any) -> dict[str, Any]:
    data = entry_to_dict(row)
    return {
        "id": data["id"],
        "user_name": row.user_name,
        "user_email": row.user_email,
        "action": data["action"],
        "target_type": data["target_type"],
        "target_id": data["target_id"],
        "details": {
            **data["details"],
            "method": data["method"],
            "path": data["path"],
            "status": data["status"],
        },
        "ip_address": data["ip_address"],
        "timestamp": data["timestamp"],
    }


async def list_audit_logs(
    action: str | None = None,
    target_type: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    page: int | None = None,
    per_page: int | None = None,
) -> Response:
    # Connexion passes its security context's ``user`` to a ``user`` argument, so the ``user``
    # filter is read from the query string itself.
    user = _query_value("user")
    principal = context.principal()
    if principal is None or principal.role not in ADMIN_ROLES or not principal.organization_id:
        raise Forbidden("Only organisation admins can read the audit log")
    flt = AuditFilter.parse(
        user=user, action=action, target_type=target_type, date_from=date_from, date_to=date_to
    )
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    state = context.app_state()
    await written_so_far(state.services)  # the caller's own last requests are in the log
    rows, total = await _entries(principal.organization_id, flt, request)
    items = [_entry(row) for row in rows]
    query = {
        "user": user,
        "action": action,
        "target_type": target_type,
        "date_from": date_from,
        "date_to": date_to,
    }
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers
