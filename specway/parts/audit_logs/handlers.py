"""The ``audit-logs`` part: the organisation's audit trail, for its admins."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from specway import context
from specway.errors import Forbidden, ServiceUnavailable
from specway.plugins.audit import written_so_far
from specway.plugins.audit.query import AuditFilter, entry_to_dict, list_entries

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]

ADMIN_ROLES = frozenset({"admin", "owner"})


def _query_value(name: str) -> str | None:
    raw = bytes(context.current_scope().get("query_string") or b"").decode("latin-1")
    values = parse_qs(raw).get(name)
    return values[-1] if values else None


async def list_audit_logs(
    action: str | None = None,
    target_type: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Response:
    # Connexion passes its security context's ``user`` to a ``user`` argument, so the ``user``
    # filter is read from the query string itself.
    user = _query_value("user")
    state = context.app_state()
    if "audit" not in state.spec.plugins:
        raise ServiceUnavailable("The audit plugin is not enabled")
    principal = context.principal()
    if principal is None or principal.role not in ADMIN_ROLES or not principal.organization_id:
        raise Forbidden("Only organisation admins can read the audit log")
    flt = AuditFilter.parse(
        user=user, action=action, target_type=target_type, date_from=date_from, date_to=date_to
    )
    pagination = context.operation().pagination
    size = max(1, min(limit or pagination.default_per_page, pagination.max_per_page))
    await written_so_far(state.services)  # the caller's own last requests are in the log
    rows, next_cursor = await list_entries(
        context.database(), principal.organization_id, flt, limit=size, cursor=cursor
    )
    data = [entry_to_dict(row) for row in rows]
    return {"data": data, "next_cursor": next_cursor, "has_more": next_cursor is not None}, 200
