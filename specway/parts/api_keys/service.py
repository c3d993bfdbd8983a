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

from specway import context
from specway.errors import BadRequest, Forbidden
from specway.ids import as_utc, parse_timestamp, utcnow
from specway.pagination import PageRequest
from specway.parts.api_keys.store import ApiKeyStore, KeySpec, StoredKey
from specway.plugins.auth import AuthRuntime
from specway.plugins.auth import api_keys as checks
from specway.principal import Principal

# What the functions below take: the store, or (projects whose handlers still open a
# session, e.g. examples/versiontwo) an AsyncSession, which is not used: the store of the
# request's database serves them too.
Keys = ApiKeyStore | AsyncSession


def key_store(runtime: AuthRuntime) -> ApiKeyStore:
    """The API keys of the request's database, minted with the auth plugin's hasher."""
    return ApiKeyStore(context.database(), runtime.hasher, runtime.key_format)


def _store(keys: Keys, runtime: AuthRuntime | None = None) -> ApiKeyStore:
    if isinstance(keys, ApiKeyStore):
        return keys
    from specway.parts.access import auth_runtime

    return key_store(runtime or auth_runtime())


def _owner(principal: Principal) -> str:
    """The organisation whose keys the caller manages: the live one, also in test mode."""
    return str(principal.account_id)


def _test_only(principal: Principal) -> bool:
    """Only test-mode keys for a test-mode caller; every key otherwise."""
    return principal.test_mode


def _expiry(raw: Any) -> datetime | None:
    return None if raw is None else parse_timestamp(raw, "expires_at")


async def create_api_key(
    keys: Keys, runtime: AuthRuntime, principal: Principal, body: dict[str, Any]
) -> dict[str, Any]:
    """Mint a key in the caller's organisation; 403 naming scopes the caller does not hold."""
    valid = runtime.spec.scopes
    scopes = checks.check_scopes(body.get("scopes") or [], valid)
    missing = sorted(set(scopes) - principal.scopes)
    if missing:
        raise Forbidden(
            f"You cannot grant scopes you do not hold: {', '.join(missing)}",
            details={"missing_scopes": missing},
        )
    spec = KeySpec(
        name=body["name"],
        scopes=scopes,
        allowed_ips=checks.check_allowed_ips(body.get("allowed_ips") or []),
        expires_at=checks.check_expiry(_expiry(body.get("expires_at"))),
        created_by=principal.user_id,
        test_mode=principal.test_mode or bool(body.get("test_mode", False)),
    )
    return await _store(keys, runtime).create(_owner(principal), spec)


async def list_api_keys(
    keys: Keys, principal: Principal, page: PageRequest
) -> tuple[list[dict[str, Any]], int]:
    return await _store(keys).page(_owner(principal), page, test_only=_test_only(principal))


async def get_api_key(keys: Keys, principal: Principal, key_id: str) -> dict[str, Any]:
    stored = await _store(keys).get(_owner(principal), key_id, test_only=_test_only(principal))
    return stored.record


def _may_manage(principal: Principal, key: StoredKey, verb: str) -> None:
    """Admins manage any key of their organisation; others only keys they made (403)."""
    if principal.role != "admin" and (
        principal.user_id is None or key.record["created_by"] != principal.user_id
    ):
        raise Forbidden(
            f"Only admins can {verb} keys made by someone else",
            details={"required_role": "admin", "role": principal.role},
        )


async def revoke_api_key(keys: Keys, principal: Principal, key_id: str) -> None:
    """Admins revoke any key of their organisation; others only keys they made."""
    store = _store(keys)
    key = await store.get(_owner(principal), key_id, test_only=_test_only(principal))
    _may_manage(principal, key, "revoke")
    await store.revoke(key_id)


async def rotate_api_key(
    keys: Keys,
    runtime: AuthRuntime,
    principal: Principal,
    key_id: str,
    body: dict[str, Any] | None,
) -> dict[str, Any]:
    """A new key with the old one's name, scopes, allow-list, expiry, creator and mode; the old
    one is revoked now or expires after ``expire_current_in`` seconds. The caller invalidates
    auth caches."""
    store = _store(keys, runtime)
    key = await store.get(_owner(principal), key_id, test_only=_test_only(principal))
    _may_manage(principal, key, "rotate")
    current = as_utc(key.expires_at) if key.expires_at is not None else None
    if current is not None and current <= utcnow():
        raise BadRequest(
            "This key has expired and cannot be rotated; create a new one",
            details={"reason": "expired", "key_id": key_id},
        )
    key = StoredKey(key.record, key.plan, current)
    grace = int((body or {}).get("expire_current_in") or 0)
    if grace == 0:
        return await store.rotate(key, None, revoke=True)
    ends = utcnow() + timedelta(seconds=grace)
    return await store.rotate(key, ends if current is None else min(current, ends), revoke=False)
