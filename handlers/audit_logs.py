"""Handlers of the ``Audit Logs`` tag: the organisation's audit trail, for its admins."""

from __future__ import annotations

from typing import Any

from plugins.audit.query import AuditFilter, entry_to_dict, list_entries
from specway import context
from specway.errors import Forbidden

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]

ADMIN_ROLES = frozenset({"admin", "owner"})


async def list_audit_logs(
    user: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Response:
    principal = context.principal()
    if principal is None or principal.role not in ADMIN_ROLES or not principal.organization_id:
        raise Forbidden("Only organisation admins can read the audit log")
    flt = AuditFilter.parse(
        user=user, action=action, target_type=target_type, date_from=date_from, date_to=date_to
    )
    pagination = context.operation().pagination
    size = max(1, min(limit or pagination.default_per_page, pagination.max_per_page))
    async with context.app_state().database.session() as session:
        rows, next_cursor = await list_entries(
            session, principal.organization_id, flt, limit=size, cursor=cursor
        )
        data = [entry_to_dict(row) for row in rows]
    return {"data": data, "next_cursor": next_cursor, "has_more": next_cursor is not None}, 200
