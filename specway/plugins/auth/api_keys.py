"""API key storage operations: create (the only time the secret exists in clear), list, get,
revoke. Shared by the ``/v1/api-keys`` handlers and ``specway keys``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from specway.errors import BadRequest, NotFound
from specway.ids import as_utc, utcnow
from specway.plugins.auth.hashing import CredentialHasher
from specway.plugins.auth.keys import KeyFormat, display
from specway.plugins.auth.models import ApiKey, Organization
from specway.spec.scopes import ScopeSet

MAX_ALLOWED_IPS = 100


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A created key and its secret, to be shown exactly once."""

    row: ApiKey
    secret: str


def check_scopes(scopes: Iterable[str], valid: ScopeSet | None) -> list[str]:
    """``scopes`` de-duplicated in the API's order; 400 naming unknown ones and the valid ones.

    ``valid`` ``None``: any names (de-duplicated, in the given order), for callers that mint keys
    outside an app (tests, fixtures).
    """
    given = list(scopes)
    unknown = valid.unknown(given) if valid is not None else []
    if valid is not None and unknown:
        raise BadRequest(
            f"Unknown scope: {', '.join(unknown)}; this API's scopes are {valid.listing()}",
            details=[{"field": "scopes", "in": "body", "reason": f"use {', '.join(valid.names)}"}],
        )
    if not given:
        raise BadRequest(
            "At least one scope is required",
            details=[{"field": "scopes", "in": "body", "reason": "required"}],
        )
    return valid.ordered(given) if valid is not None else list(dict.fromkeys(given))


def check_allowed_ips(values: Iterable[str]) -> list[str]:
    """Normalised CIDRs (a bare address becomes /32 or /128); 400 naming the bad entry."""
    out: list[str] = []
    for index, value in enumerate(values):
        try:
            out.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError:
            raise BadRequest(
                "allowed_ips entries must be IP addresses or CIDR ranges",
                details=[
                    {"field": f"allowed_ips.{index}", "in": "body", "reason": "not a CIDR range"}
                ],
            ) from None
    if len(out) > MAX_ALLOWED_IPS:
        raise BadRequest(
            f"At most {MAX_ALLOWED_IPS} allowed_ips entries",
            details=[{"field": "allowed_ips", "in": "body", "reason": "too many entries"}],
        )
    return sorted(set(out))


def check_expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is not None and as_utc(expires_at) <= utcnow():
        raise BadRequest(
            "expires_at must be in the future",
            details=[{"field": "expires_at", "in": "body", "reason": "in the past"}],
        )
    return as_utc(expires_at) if expires_at is not None else None


async def create_api_key(
    session: AsyncSession,
    *,
    hasher: CredentialHasher,
    key_format: KeyFormat,
    organization_id: str,
    name: str,
    scopes: Iterable[str],
    valid_scopes: ScopeSet | None = None,
    created_by: str | None = None,
    expires_at: datetime | None = None,
    allowed_ips: Iterable[str] = (),
    plan: str | None = None,
    test_mode: bool = False,
) -> NewApiKey:
    """Mint a key; only its peppered hash, prefix and last four characters are stored.

    ``plan`` is an operator's per-key tier override (the CLI); the API never passes one, a
    key's tier being its organisation's plan.
    """
    secret = key_format.generate(test_mode=test_mode)
    prefix, last4 = display(secret, key_format.prefix_of(secret) or "")
    row = ApiKey(
        organization_id=organization_id,
        created_by=created_by,
        name=name,
        key_hash=hasher.digest(secret),
        prefix=prefix,
        last4=last4,
        scopes=check_scopes(scopes, valid_scopes),
        allowed_ips=check_allowed_ips(allowed_ips),
        plan=plan,
        test_mode=test_mode,
        created_at=utcnow(),
        expires_at=check_expiry(expires_at),
    )
    session.add(row)
    await session.flush()
    return NewApiKey(row, secret)


async def organization_plan(session: AsyncSession, organization_id: str) -> str | None:
    """The organisation's rate-limit tier, as the operator set it (``None``: the default)."""
    query = select(Organization.plan).where(Organization.id == organization_id)
    plan: str | None = (await session.execute(query)).scalar_one_or_none()
    return plan


async def set_organization_plan(
    session: AsyncSession, organization_id: str, plan: str | None
) -> None:
    """Give the organisation a tier (an operator's act: ``specway orgs set-plan``); 404 if it
    does not exist. Callers then invalidate auth caches so running processes pick it up."""
    org = await session.get(Organization, organization_id)
    if org is None:
        raise NotFound(
            f"Organization {organization_id} not found",
            details={"resource_type": "organization", "resource_id": organization_id},
        )
    org.plan = plan
    await session.flush()


async def list_api_keys(
    session: AsyncSession,
    organization_id: str | None,
    *,
    offset: int = 0,
    limit: int | None = None,
    all_organizations: bool = False,
    test_mode: bool | None = None,
) -> tuple[list[ApiKey], int]:
    """Live (unrevoked) keys of one organisation, newest first; every organisation only when
    ``all_organizations`` is asked for explicitly (the CLI); only test-mode (or only live-mode)
    keys when ``test_mode`` is given."""
    query = select(ApiKey).where(ApiKey.revoked_at.is_(None))
    if test_mode is not None:
        query = query.where(ApiKey.test_mode.is_(test_mode))
    if not all_organizations:
        query = query.where(ApiKey.organization_id == organization_id)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    query = query.order_by(ApiKey.created_at.desc(), ApiKey.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).scalars()), int(total)


async def get_api_key(
    session: AsyncSession,
    organization_id: str | None,
    key_id: str,
    *,
    test_mode: bool | None = None,
) -> ApiKey:
    """A live key of ``organization_id`` (any organisation when ``None``: the CLI); 404
    otherwise, whether it does not exist, is revoked, belongs to someone else or is not of
    the mode ``test_mode`` asks for."""
    query = select(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
    if test_mode is not None:
        query = query.where(ApiKey.test_mode.is_(test_mode))
    if organization_id is not None:
        query = query.where(ApiKey.organization_id == organization_id)
    key: ApiKey | None = (await session.execute(query)).scalar_one_or_none()
    if key is None:
        raise NotFound(
            f"API key {key_id} not found",
            details={"resource_type": "api_key", "resource_id": key_id},
        )
    return key


async def revoke_api_key(
    session: AsyncSession,
    organization_id: str | None,
    key_id: str,
    *,
    test_mode: bool | None = None,
) -> ApiKey:
    """Mark the key revoked. Callers must then invalidate caches (``AuthRuntime.invalidate``)."""
    key = await get_api_key(session, organization_id, key_id, test_mode=test_mode)
    key.revoked_at = utcnow()
    await session.flush()
    return key
