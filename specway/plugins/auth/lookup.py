"""Resolve a credential hash to its principal from the database (the cache-miss path)."""

from __future__ import annotations

import ipaddress
import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from specway.ids import as_utc
from specway.plugins.auth.cache import Network, ResolvedCredential
from specway.plugins.auth.models import ApiKey, Membership, Organization, Session, User
from specway.plugins.auth.sandbox import sandbox_organization_id
from specway.principal import Principal
from specway.spec.scopes import ScopeSet


async def _role(session: AsyncSession, organization_id: str, user_id: str) -> str | None:
    query = select(Membership.role).where(
        Membership.organization_id == organization_id, Membership.user_id == user_id
    )
    role: str | None = (await session.execute(query)).scalar_one_or_none()
    return role


async def _organization(
    session: AsyncSession, organization_id: str
) -> tuple[str | None, tuple[Network, ...]]:
    """The tier the operator gave the organisation (``None``: the spec's default) and its IP
    allow-list, in one statement."""
    query = select(Organization.plan, Organization.allowed_ips).where(
        Organization.id == organization_id
    )
    row = (await session.execute(query)).first()
    if row is None:
        return None, ()
    return row[0], _networks(list(row[1] or []))


def _networks(cidrs: list[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


async def load_api_key(
    session: AsyncSession,
    digests: list[str],
    default_tier: str | None,
    scopes: ScopeSet,
    *,
    isolated_sandbox: bool = True,
) -> ResolvedCredential:
    """The key stored under one of ``digests`` (current pepper first), with its creator's role.

    A key found under an older pepper is re-hashed with the current one. A test-mode key acts
    in its organisation's sandbox twin (made on first use) when ``isolated_sandbox``.
    """
    now = time.monotonic()
    rows = (
        await session.execute(
            select(ApiKey).where(ApiKey.key_hash.in_(digests), ApiKey.revoked_at.is_(None))
        )
    ).scalars()
    key = next(iter(rows), None)
    if key is None:
        return ResolvedCredential(digests[0], None, stored_at=now)
    if key.key_hash != digests[0]:
        key.key_hash = digests[0]
        await session.commit()
    role = (
        "admin"
        if key.created_by is None
        else await _role(session, key.organization_id, key.created_by)
    )
    if role is None:
        # The creator left the organisation: the key no longer acts for anyone.
        return ResolvedCredential(digests[0], None, stored_at=now)
    organization_id, live_organization_id = key.organization_id, None
    if key.test_mode and isolated_sandbox:
        twin = await sandbox_organization_id(session, key.organization_id)
        if twin is None:  # the organisation is gone
            return ResolvedCredential(digests[0], None, stored_at=now)
        await session.commit()
        organization_id, live_organization_id = twin, key.organization_id
    plan, organization_networks = await _organization(session, key.organization_id)
    principal = Principal(
        kind="api_key",
        id=key.id,
        organization_id=organization_id,
        user_id=key.created_by,
        role=role,
        scopes=scopes.for_role(role, frozenset(key.scopes or ())),
        # An operator's per-key override, else the organisation's plan: never the caller's pick.
        tier=key.plan or plan or default_tier,
        key_id=key.id,
        test_mode=key.test_mode,
        live_organization_id=live_organization_id,
    )
    expires = as_utc(key.expires_at).timestamp() if key.expires_at is not None else None
    return ResolvedCredential(
        digests[0],
        principal,
        expires,
        _networks(key.allowed_ips or []),
        now,
        organization_networks,
    )


async def load_session(
    session: AsyncSession, digests: list[str], default_tier: str | None, scopes: ScopeSet
) -> ResolvedCredential:
    """The live session stored under one of ``digests``, acting with its user's role."""
    now = time.monotonic()
    query = (
        select(Session, User.is_active)
        .join(User, User.id == Session.user_id)
        .where(Session.token_hash.in_(digests), Session.revoked_at.is_(None))
    )
    row = (await session.execute(query)).first()
    if row is None or not row[1]:
        return ResolvedCredential(digests[0], None, stored_at=now)
    sess: Session = row[0]
    if sess.token_hash != digests[0]:
        sess.token_hash = digests[0]
        await session.commit()
    role = await _role(session, sess.organization_id, sess.user_id)
    if role is None:
        return ResolvedCredential(digests[0], None, stored_at=now)
    plan, organization_networks = await _organization(session, sess.organization_id)
    principal = Principal(
        kind="session",
        id=sess.id,
        organization_id=sess.organization_id,
        user_id=sess.user_id,
        role=role,
        scopes=scopes.for_role(role),
        tier=plan or default_tier,
    )
    return ResolvedCredential(
        digests[0], principal, stored_at=now, organization_networks=organization_networks
    )
