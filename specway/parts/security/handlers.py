"""The ``security`` part: the organisation-wide IP allow-list.

Stored on the organisation (``organizations.allowed_ips``, auth migration 0010) and enforced by
the auth plugin for every key and session of it (:meth:`Authenticator.admit`); a change drops
every process's credential cache (within a second), as a revocation does.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import bindparam, select, update

from specway import context
from specway.errors import Conflict, NotFound
from specway.ids import rfc3339, utcnow
from specway.parts.access import auth_runtime, current_principal
from specway.parts.organizations.service import refuse_in_sandbox, require_admin
from specway.plugins.auth.account_store import ORGANIZATIONS
from specway.plugins.auth.api_keys import check_allowed_ips
from specway.principal import Principal
from specway.storage.prepared import Prepared
from specway.storage.sqltime import rfc3339_text

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _admin() -> Principal:
    principal = current_principal()
    require_admin(principal.role)
    return principal


_o = ORGANIZATIONS.c
# The organisation's list as the response shows it; and the change (``org_id``: the binds
# of an UPDATE may not take a column's name).
_READ = Prepared(
    select(_o.allowed_ips, rfc3339_text(_o.updated_at).label("updated_at")).where(
        _o.id == bindparam("org")
    ),
    record=("allowed_ips", "updated_at"),
    defaults={"allowed_ips": list},
)
_WRITE = Prepared(update(ORGANIZATIONS).where(_o.id == bindparam("org_id")))


async def get_ip_allowlist() -> Response:
    principal = _admin()
    records, _ = await context.database().records(_READ, {"org": principal.account_id})
    if not records:
        raise NotFound("Organization not found")
    return records[0], 200


def _locks_out(client_ip: str, cidrs: list[str]) -> bool:
    if not cidrs:
        return False
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return True
    return not any(address in ipaddress.ip_network(c, strict=False) for c in cidrs)


async def update_ip_allowlist(body: dict[str, Any]) -> Response:
    principal = _admin()
    refuse_in_sandbox(principal, "change the IP allow-list")
    cidrs = check_allowed_ips(body.get("allowed_ips") or [])
    client_ip = context.client_ip()
    if _locks_out(client_ip, cidrs):
        raise Conflict(
            f"This list would block your own address {client_ip}; add it, or make the change "
            "from an allowed address",
            details={"reason": "would_lock_out", "ip": client_ip},
        )
    database = context.database()
    records, _ = await database.records(_READ, {"org": principal.account_id})
    if not records:
        raise NotFound("Organization not found")
    now = utcnow()
    change = {"allowed_ips": cidrs, "updated_at": now, "org_id": principal.account_id}
    await database.write([(_WRITE, change)])
    data = {"allowed_ips": cidrs, "updated_at": rfc3339(now)}
    await auth_runtime().invalidate()
    return data, 200
