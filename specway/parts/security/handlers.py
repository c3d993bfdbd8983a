"""The ``security`` part: the organisation-wide IP allow-list.

Stored on the organisation (``organizations.allowed_ips``, auth migration 0010) and enforced by
the auth plugin for every key and session of it (:meth:`Authenticator.admit`); a change drops
every process's credential cache (within a second), as a revocation does.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from specway import context
from specway.errors import Conflict, NotFound
from specway.ids import rfc3339, utcnow
from specway.parts.access import auth_runtime, current_principal
from specway.parts.organizations.service import refuse_in_sandbox, require_admin
from specway.plugins.auth.api_keys import check_allowed_ips
from specway.plugins.auth.models import Organization
from specway.principal import Principal

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _admin() -> Principal:
    principal = current_principal()
    require_admin(principal.role)
    return principal


def _body(org: Organization) -> dict[str, Any]:
    return {"allowed_ips": list(org.allowed_ips or []), "updated_at": rfc3339(org.updated_at)}


async def get_ip_allowlist() -> Response:
    principal = _admin()
    async with context.database().session() as session:
        org = await session.get(Organization, principal.account_id)
        if org is None:
            raise NotFound("Organization not found")
        return _body(org), 200


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
    async with context.database().session() as session, session.begin():
        org = await session.get(Organization, principal.account_id)
        if org is None:
            raise NotFound("Organization not found")
        org.allowed_ips = cidrs
        org.updated_at = utcnow()
        data = _body(org)
    await auth_runtime().invalidate()
    return data, 200
