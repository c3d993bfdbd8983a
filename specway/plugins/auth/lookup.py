"""Resolve a credential hash to its principal from the database (the cache-miss path).

One prebuilt statement per credential kind (:class:`~specway.storage.prepared.Prepared`, run
by ``Database.rows``): the key or session joined with its role (the membership), its
organisation (plan, IP allow-list) and, for keys, the sandbox twin: one round trip on
PostgreSQL, one cursor call on SQLite. Writes happen only in rare cases: a credential found
under an older pepper is re-hashed, and a test-mode key's first use makes its sandbox twin.
"""

from __future__ import annotations

import functools
import ipaddress
import time
from typing import Any

from sqlalchemy import BindParameter, Table, and_, bindparam, select, update

from specway.ids import as_utc
from specway.plugins.auth.cache import Network, ResolvedCredential
from specway.plugins.auth.models import ApiKey, Membership, Organization, Session, User
from specway.plugins.auth.sandbox import SandboxLink, create_sandbox
from specway.principal import Principal
from specway.spec.scopes import ScopeSet
from specway.storage.database import Database
from specway.storage.prepared import Prepared

_KEYS: Table = ApiKey.__table__  # type: ignore[assignment]
_SESSIONS: Table = Session.__table__  # type: ignore[assignment]
_USERS: Table = User.__table__  # type: ignore[assignment]
_MEMBERS: Table = Membership.__table__  # type: ignore[assignment]
_ORGS: Table = Organization.__table__  # type: ignore[assignment]
_LINKS: Table = SandboxLink.__table__  # type: ignore[assignment]


def _digest_params(digests: list[str]) -> dict[str, Any]:
    return {f"d{i}": digest for i, digest in enumerate(digests)}


@functools.cache
def _key_statement(candidates: int) -> Prepared:
    """The live key under one of ``candidates`` digests, with its creator's role, its
    organisation's name, plan and allow-list, and its sandbox twin (if made)."""
    k, m, o, s = _KEYS.c, _MEMBERS.c, _ORGS.c, _LINKS.c
    joined = (
        _KEYS.outerjoin(
            _MEMBERS, and_(m.organization_id == k.organization_id, m.user_id == k.created_by)
        )
        .outerjoin(_ORGS, o.id == k.organization_id)
        .outerjoin(_LINKS, s.organization_id == k.organization_id)
    )
    digests: list[BindParameter[str]] = [bindparam(f"d{i}") for i in range(candidates)]
    return Prepared(
        select(
            k.id,
            k.organization_id,
            k.created_by,
            k.key_hash,
            k.scopes,
            k.allowed_ips,
            k.plan,
            k.test_mode,
            k.expires_at,
            m.role,
            o.id.label("org_id"),
            o.name.label("org_name"),
            o.plan.label("org_plan"),
            o.allowed_ips.label("org_allowed_ips"),
            s.sandbox_organization_id,
        )
        .select_from(joined)
        .where(k.key_hash.in_(digests), k.revoked_at.is_(None))
        .limit(1)
    )


@functools.cache
def _session_statement(candidates: int) -> Prepared:
    """The live session under one of ``candidates`` digests, with its user's state and role and
    its organisation's plan and allow-list."""
    t, u, m, o = _SESSIONS.c, _USERS.c, _MEMBERS.c, _ORGS.c
    joined = (
        _SESSIONS.join(_USERS, u.id == t.user_id)
        .outerjoin(_MEMBERS, and_(m.organization_id == t.organization_id, m.user_id == t.user_id))
        .outerjoin(_ORGS, o.id == t.organization_id)
    )
    digests: list[BindParameter[str]] = [bindparam(f"d{i}") for i in range(candidates)]
    return Prepared(
        select(
            t.id,
            t.organization_id,
            t.user_id,
            t.token_hash,
            u.is_active,
            m.role,
            o.plan.label("org_plan"),
            o.allowed_ips.label("org_allowed_ips"),
        )
        .select_from(joined)
        .where(t.token_hash.in_(digests), t.revoked_at.is_(None))
        .limit(1)
    )


_REHASH_KEY = Prepared(
    update(_KEYS).where(_KEYS.c.id == bindparam("key_id")).values(key_hash=bindparam("digest"))
)
_REHASH_SESSION = Prepared(
    update(_SESSIONS)
    .where(_SESSIONS.c.id == bindparam("session_id"))
    .values(token_hash=bindparam("digest"))
)


def _networks(cidrs: list[str] | None) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs or ())


async def load_api_key(
    database: Database,
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
    rows = await database.rows(_key_statement(len(digests)), _digest_params(digests))
    if not rows:
        return ResolvedCredential(digests[0], None, stored_at=now)
    key = rows[0]
    if key.key_hash != digests[0]:
        await database.write([(_REHASH_KEY, {"key_id": key.id, "digest": digests[0]})])
    # A key nobody made (the CLI's) acts as an admin; else as its creator, while a member.
    role = "admin" if key.created_by is None else key.role
    if role is None:
        # The creator left the organisation: the key no longer acts for anyone.
        return ResolvedCredential(digests[0], None, stored_at=now)
    organization_id, live_organization_id = key.organization_id, None
    if key.test_mode and isolated_sandbox:
        twin = key.sandbox_organization_id
        if twin is None:
            if key.org_id is None:  # the organisation is gone
                return ResolvedCredential(digests[0], None, stored_at=now)
            twin = await create_sandbox(database, key.org_id, key.org_name)
        organization_id, live_organization_id = twin, key.organization_id
    principal = Principal(
        kind="api_key",
        id=key.id,
        organization_id=organization_id,
        user_id=key.created_by,
        role=role,
        scopes=scopes.for_role(role, frozenset(key.scopes or ())),
        # An operator's per-key override, else the organisation's plan: never the caller's pick.
        tier=key.plan or key.org_plan or default_tier,
        key_id=key.id,
        test_mode=bool(key.test_mode),
        live_organization_id=live_organization_id,
    )
    expires = as_utc(key.expires_at).timestamp() if key.expires_at is not None else None
    return ResolvedCredential(
        digests[0],
        principal,
        expires,
        _networks(key.allowed_ips),
        now,
        _networks(key.org_allowed_ips),
    )


async def load_session(
    database: Database, digests: list[str], default_tier: str | None, scopes: ScopeSet
) -> ResolvedCredential:
    """The live session stored under one of ``digests``, acting with its user's role."""
    now = time.monotonic()
    rows = await database.rows(_session_statement(len(digests)), _digest_params(digests))
    if not rows or not rows[0].is_active:
        return ResolvedCredential(digests[0], None, stored_at=now)
    sess = rows[0]
    if sess.token_hash != digests[0]:
        await database.write([(_REHASH_SESSION, {"session_id": sess.id, "digest": digests[0]})])
    role = sess.role
    if role is None:
        return ResolvedCredential(digests[0], None, stored_at=now)
    principal = Principal(
        kind="session",
        id=sess.id,
        organization_id=sess.organization_id,
        user_id=sess.user_id,
        role=role,
        scopes=scopes.for_role(role),
        tier=sess.org_plan or default_tier,
    )
    return ResolvedCredential(
        digests[0],
        principal,
        stored_at=now,
        organization_networks=_networks(sess.org_allowed_ips),
    )
