"""API keys as the API shows them: created within the caller's organisation, never with more
scopes than the caller holds, the secret returned once. A caller never picks a key's rate-limit
tier: it is the organisation's plan, which only the operator sets (``specway orgs set-plan``).

Keys belong to the live organisation in either mode. A test-mode key sees and mints only
test-mode keys (never a live key's metadata, never a live key).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from specway.errors import BadRequest, Forbidden
from specway.ids import as_utc, parse_timestamp, utcnow
from specway.pagination import PageRequest
from specway.plugins.auth import AuthRuntime
from specway.plugins.auth import api_keys as store
from specway.plugins.auth.models import ApiKey
from specway.principal import Principal


def key_to_dict(key: ApiKey, organization_plan: str | None) -> dict[str, Any]:
    """The key's metadata; ``plan`` is the tier it is limited by (an operator's override for
    this key, else its organisation's plan; ``None``: the spec's default tier)."""
    return {**key.metadata_dict(), "plan": key.plan or organization_plan}


def _owner(principal: Principal) -> str:
    """The organisation whose keys the caller manages: the live one, also in test mode."""
    return str(principal.account_id)


def _mode(principal: Principal) -> bool | None:
    """Only test-mode keys for a test-mode caller; every key otherwise."""
    return True if principal.test_mode else None


def _expiry(raw: Any) -> datetime | None:
    return None if raw is None else parse_timestamp(raw, "expires_at")


async def create_api_key(
    session: AsyncSession, runtime: AuthRuntime, principal: Principal, body: dict[str, Any]
) -> dict[str, Any]:
    """Mint a key in the caller's organisation; 403 naming scopes the caller does not hold."""
    valid = runtime.spec.scopes
    scopes = store.check_scopes(body.get("scopes") or [], valid)
    missing = sorted(set(scopes) - principal.scopes)
    if missing:
        raise Forbidden(
            f"You cannot grant scopes you do not hold: {', '.join(missing)}",
            details={"missing_scopes": missing},
        )
    created = await store.create_api_key(
        session,
        hasher=runtime.hasher,
        key_format=runtime.key_format,
        organization_id=_owner(principal),
        name=body["name"],
        scopes=scopes,
        valid_scopes=valid,
        created_by=principal.user_id,
        expires_at=_expiry(body.get("expires_at")),
        allowed_ips=body.get("allowed_ips") or [],
        test_mode=principal.test_mode or bool(body.get("test_mode", False)),
    )
    plan = await store.organization_plan(session, _owner(principal))
    return {**key_to_dict(created.row, plan), "key": created.secret}


async def list_api_keys(
    session: AsyncSession, principal: Principal, page: PageRequest
) -> tuple[list[dict[str, Any]], int]:
    rows, total = await store.list_api_keys(
        session,
        _owner(principal),
        offset=page.offset,
        limit=page.per_page,
        test_mode=_mode(principal),
    )
    plan = await store.organization_plan(session, _owner(principal))
    return [key_to_dict(k, plan) for k in rows], total


async def get_api_key(session: AsyncSession, principal: Principal, key_id: str) -> dict[str, Any]:
    key = await store.get_api_key(session, _owner(principal), key_id, test_mode=_mode(principal))
    return key_to_dict(key, await store.organization_plan(session, _owner(principal)))


def _may_manage(principal: Principal, key: ApiKey, verb: str) -> None:
    """Admins manage any key of their organisation; others only keys they made (403)."""
    if principal.role != "admin" and (
        principal.user_id is None or key.created_by != principal.user_id
    ):
        raise Forbidden(
            f"Only admins can {verb} keys made by someone else",
            details={"required_role": "admin", "role": principal.role},
        )


async def revoke_api_key(session: AsyncSession, principal: Principal, key_id: str) -> None:
    """Admins revoke any key of their organisation; others only keys they made."""
    key = await store.get_api_key(session, _owner(principal), key_id, test_mode=_mode(principal))
    _may_manage(principal, key, "revoke")
    await store.revoke_api_key(session, _owner(principal), key_id, test_mode=_mode(principal))


async def rotate_api_key(
    session: AsyncSession,
    runtime: AuthRuntime,
    principal: Principal,
    key_id: str,
    body: dict[str, Any] | None,
) -> dict[str, Any]:
    """A new key with the old one's name, scopes, allow-list, expiry, creator and mode; the old
    one is revoked now or expires after ``expire_current_in`` seconds. The caller invalidates
    auth caches."""
    key = await store.get_api_key(session, _owner(principal), key_id, test_mode=_mode(principal))
    _may_manage(principal, key, "rotate")
    if key.expires_at is not None and as_utc(key.expires_at) <= utcnow():
        raise BadRequest(
            "This key has expired and cannot be rotated; create a new one",
            details={"reason": "expired", "key_id": key.id},
        )
    grace = int((body or {}).get("expire_current_in") or 0)
    created = await store.create_api_key(
        session,
        hasher=runtime.hasher,
        key_format=runtime.key_format,
        organization_id=key.organization_id,
        name=key.name,
        scopes=list(key.scopes or []),
        created_by=key.created_by,
        expires_at=key.expires_at,
        allowed_ips=list(key.allowed_ips or []),
        plan=key.plan,
        test_mode=key.test_mode,
    )
    if grace == 0:
        key.revoked_at = utcnow()
    else:
        ends = utcnow() + timedelta(seconds=grace)
        current = as_utc(key.expires_at) if key.expires_at is not None else None
        key.expires_at = ends if current is None else min(current, ends)
    await session.flush()
    plan = await store.organization_plan(session, _owner(principal))
    return {**key_to_dict(created.row, plan), "key": created.secret}
