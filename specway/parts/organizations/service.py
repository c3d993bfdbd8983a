"""Organisations and members as the API shows them (``member_count``, the include's ``counts``,
``user_role``): the rules, and session-based operations for projects whose handlers pass an
``AsyncSession`` (examples/keynest, examples/examplecom). The part's own handlers use
:class:`~specway.parts.organizations.store.OrganizationStore`.

Visibility: a session sees the organisations its user belongs to; an API key only its own. Any
other id is 404, never 403, so existence does not leak. Changes need the admin role in the
organisation addressed.

A test-mode key's own organisation is the sandbox twin of its live one
(:mod:`plugins.auth.sandbox`): it shows the live organisation's members (read-only: members
are managed in live mode) and cannot be deleted; deleting a live organisation deletes its twin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any

from sqlalchemy import ScalarSelect, column, delete, func, select, table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from specway.errors import Conflict, Forbidden, NotFound
from specway.ids import rfc3339, utcnow
from specway.pagination import PageRequest
from specway.plugins.auth import accounts
from specway.plugins.auth.models import Membership, Organization, User
from specway.plugins.auth.sandbox import delete_sandbox
from specway.principal import Principal

_MEMBERS = (
    select(func.count())
    .where(Membership.organization_id == Organization.id)
    .correlate(Organization)
    .scalar_subquery()
)


@dataclass(frozen=True, slots=True)
class Tenancy:
    """The project's tables that belong to an organisation (``organization_id`` column), from the
    include's ``options``: ``counts`` (field name -> table, shown on each organisation, e.g.
    ``project_count: projects``) and ``cascade`` (tables whose rows go with the organisation)."""

    counts: Mapping[str, str] = default(default_factory=dict)
    cascade: Sequence[str] = ()

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Tenancy:
        counts = options.get("counts") or {}
        cascade = options.get("cascade") or ()
        return cls({str(k): str(v) for k, v in counts.items()}, tuple(str(t) for t in cascade))

    def count_columns(self) -> list[ScalarSelect[int]]:
        columns = []
        for name in self.counts.values():
            owned = _owned(name)
            columns.append(
                select(func.count())
                .select_from(owned)
                .where(owned.c.organization_id == Organization.id)
                .correlate(Organization)
                .scalar_subquery()
            )
        return columns

    def named(self, values: Sequence[Any]) -> dict[str, int]:
        return {name: int(value) for name, value in zip(self.counts, values, strict=True)}


def _owned(name: str) -> Any:
    return table(name, column("organization_id"))


def not_found(org_id: str) -> NotFound:
    return NotFound(
        f"Organization {org_id} not found",
        details={"resource_type": "organization", "resource_id": org_id},
    )


def org_to_dict(
    org: Organization, role: str, members: int, counts: Mapping[str, int]
) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "description": org.description,
        "created_at": rfc3339(org.created_at),
        "updated_at": rfc3339(org.updated_at),
        "member_count": int(members),
        **counts,
        "user_role": role,
    }


async def role_in(session: AsyncSession, principal: Principal, org_id: str) -> str:
    """The caller's role in ``org_id``; 404 when the caller cannot see it."""
    if principal.kind == "api_key" or principal.user_id is None:
        if org_id != principal.organization_id:
            raise not_found(org_id)
        return principal.role
    found = await accounts.membership(session, org_id, principal.user_id)
    if found is None:
        raise not_found(org_id)
    return found.role


def members_of(principal: Principal, org_id: str) -> str:
    """Whose members ``org_id`` shows: the live organisation's for its sandbox twin."""
    if principal.live_organization_id is not None and org_id == principal.organization_id:
        return principal.live_organization_id
    return org_id


def refuse_in_sandbox(principal: Principal, action: str) -> None:
    """403 for changes that only make sense in live mode."""
    if principal.live_organization_id is not None:
        raise Forbidden(
            f"Test-mode keys cannot {action}; use a live key or a session",
            details={"reason": "test_mode"},
        )


def session_required() -> Forbidden:
    """403 for an API key creating an organisation."""
    return Forbidden(
        "API keys act only within their own organization; create organizations with a "
        "session token",
        details={"reason": "session_required"},
    )


def require_admin(role: str) -> None:
    if role != "admin":
        raise Forbidden(
            "Only organization admins can do this",
            details={"required_role": "admin", "role": role},
        )


async def get_organization(
    session: AsyncSession, principal: Principal, org_id: str, tenancy: Tenancy
) -> dict[str, Any]:
    role = await role_in(session, principal, org_id)
    row = (
        await session.execute(
            select(Organization, _MEMBERS, *tenancy.count_columns()).where(
                Organization.id == org_id
            )
        )
    ).first()
    if row is None:
        raise not_found(org_id)
    members = row[1]
    if principal.live_organization_id is not None:
        members = await accounts.member_count(session, members_of(principal, org_id))
    return org_to_dict(row[0], role, members, tenancy.named(row[2:]))


async def list_organizations(
    session: AsyncSession, principal: Principal, page: PageRequest, tenancy: Tenancy
) -> tuple[list[dict[str, Any]], int]:
    if principal.kind == "api_key" or principal.user_id is None:
        org = await get_organization(session, principal, str(principal.organization_id), tenancy)
        return ([org] if page.page == 1 else []), 1
    base = (
        select(Organization, Membership.role, _MEMBERS, *tenancy.count_columns())
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == principal.user_id)
    )
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = await session.execute(
        base.order_by(Organization.created_at, Organization.id)
        .offset(page.offset)
        .limit(page.per_page)
    )
    return [org_to_dict(r[0], r[1], r[2], tenancy.named(r[3:])) for r in rows], int(total)


async def create_organization(
    session: AsyncSession, principal: Principal, body: dict[str, Any], tenancy: Tenancy
) -> dict[str, Any]:
    if principal.kind != "session" or principal.user_id is None:
        raise session_required()
    org = await accounts.create_organization(
        session, body["name"], body.get("description", ""), principal.user_id
    )
    return org_to_dict(org, "admin", 1, dict.fromkeys(tenancy.counts, 0))


async def update_organization(
    session: AsyncSession,
    principal: Principal,
    org_id: str,
    body: dict[str, Any],
    tenancy: Tenancy,
) -> dict[str, Any]:
    require_admin(await role_in(session, principal, org_id))
    org = await session.get(Organization, org_id)
    if org is None:
        raise not_found(org_id)
    for field in ("name", "description"):
        if field in body:
            setattr(org, field, body[field])
    org.updated_at = utcnow()
    await session.flush()
    return await get_organization(session, principal, org_id, tenancy)


async def delete_organization(
    session: AsyncSession, principal: Principal, org_id: str, tenancy: Tenancy
) -> None:
    """Delete the organisation and everything in it (its sandbox twin too, and the rows of the
    ``cascade`` tables). The caller invalidates auth caches."""
    require_admin(await role_in(session, principal, org_id))
    refuse_in_sandbox(principal, "delete the organization")
    for name in tenancy.cascade:
        owned = _owned(name)
        await session.execute(delete(owned).where(owned.c.organization_id == org_id))
    await delete_sandbox(session, org_id)
    await accounts.delete_organization(session, org_id)


def member_to_dict(user: User, membership: Membership) -> dict[str, Any]:
    return {
        "user_id": user.id,
        "email": user.email,
        "username": user.username,
        "full_name": f"{user.first_name} {user.last_name}".strip(),
        "role": membership.role,
        "joined_at": rfc3339(membership.created_at),
    }


async def list_members(
    session: AsyncSession, principal: Principal, org_id: str, page: PageRequest
) -> tuple[list[dict[str, Any]], int]:
    await role_in(session, principal, org_id)
    base = (
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == members_of(principal, org_id))
    )
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = await session.execute(
        base.order_by(Membership.created_at, Membership.id).offset(page.offset).limit(page.per_page)
    )
    return [member_to_dict(u, m) for u, m in rows], int(total)


async def add_member(
    session: AsyncSession, principal: Principal, org_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    require_admin(await role_in(session, principal, org_id))
    refuse_in_sandbox(principal, "add members")
    user = await accounts.find_user_by_email(session, str(body["email"]))
    if user is None:
        raise NotFound("No user with this email", details=[{"field": "email", "in": "body"}])
    if await accounts.membership(session, org_id, user.id) is not None:
        raise Conflict("This user is already a member")
    membership = Membership(
        organization_id=org_id,
        user_id=user.id,
        role=body.get("role", "member"),
        created_at=utcnow(),
    )
    session.add(membership)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("This user is already a member") from None
    return member_to_dict(user, membership)


async def remove_member(
    session: AsyncSession, principal: Principal, org_id: str, user_id: str
) -> None:
    """Remove a member (never the last admin), revoking their sessions and keys here. The
    caller invalidates auth caches."""
    require_admin(await role_in(session, principal, org_id))
    refuse_in_sandbox(principal, "remove members")
    found = await accounts.membership(session, org_id, user_id)
    if found is None:
        raise NotFound(
            f"Member {user_id} not found",
            details={"resource_type": "member", "resource_id": user_id},
        )
    if found.role == "admin" and await accounts.admin_count(session, org_id) <= 1:
        raise Conflict("An organization needs at least one admin")
    await accounts.remove_member(session, org_id, user_id)
