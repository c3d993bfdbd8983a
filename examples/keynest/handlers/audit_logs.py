"""``Audit Logs``: the audit plugin's entries in numbered pages, with the actor's name and
email, for organisation admins."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import select

from specway import context
from specway.errors import Forbidden
from specway.pagination import list_response, page_request
from specway.plugins.audit import written_so_far
from specway.plugins.audit.models import AuditLog
from specway.plugins.audit.query import AuditFilter, entry_to_dict, page_entries
from specway.plugins.auth.models import User

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]

ADMIN_ROLES = frozenset({"admin", "owner"})


def _query_value(name: str) -> str | None:
    raw = bytes(context.current_scope().get("query_string") or b"").decode("latin-1")
    values = parse_qs(raw).get(name)
    return values[-1] if values else None


def _entry(row: AuditLog, users: dict[str, User]) -> dict[str, Any]:
    data = entry_to_dict(row)
    user = users.get(row.user_id or "")
    return {
        "id": data["id"],
        "user_name": f"{user.first_name} {user.last_name}".strip() if user else None,
        "user_email": user.email if user else None,
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
    async with context.database().session() as session:
        rows, total = await page_entries(session, principal.organization_id, flt, request)
        user_ids = {r.user_id for r in rows if r.user_id}
        users = {
            u.id: u
            for u in (await session.execute(select(User).where(User.id.in_(user_ids)))).scalars()
        }
        items = [_entry(r, users) for r in rows]
    query = {
        "user": user,
        "action": action,
        "target_type": target_type,
        "date_from": date_from,
        "date_to": date_to,
    }
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers
