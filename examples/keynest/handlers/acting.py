"""Who a KeyNest request acts as, and in which organisation.

A KeyNest user belongs to every organisation they create or are added to, while their token acts
in one (their own). A request about a project, environment or variable acts in the organisation
that holds it if the user is a member there (a viewer may read, not change); anything else acts
in the token's organisation, where the reference stores answer 404 for a foreign id. The
:class:`~handlers.runtime.Actor` carries the user's full name, which the stores keep as
``created_by_name`` ("John Doe" in the seed).

Each question is one prebuilt statement (``Database.rows``): the row's organisation, the
caller's membership role there and the caller's name together.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select

from handlers.runtime import Actor
from handlers.services.queries import user_name
from specway import context
from specway.errors import Forbidden
from specway.parts.access import current_principal
from specway.plugins.auth.models import Membership, Organization
from specway.storage.prepared import Prepared

READ_ROLES = frozenset({"admin", "owner", "member", "viewer"})

_MEMBERSHIPS = cast(Table, Membership.__table__)
_ORGANIZATIONS = cast(Table, Organization.__table__)

_NAME = user_name(bindparam("user_id"))  # the caller's "First Last" (or email)


def _membership(organization: Any) -> Any:
    """The role of ``user_id`` in ``organization`` (an expression), or NULL."""
    return (
        select(_MEMBERSHIPS.c.role)
        .where(
            _MEMBERSHIPS.c.organization_id == organization,
            _MEMBERSHIPS.c.user_id == bindparam("user_id"),
        )
        .scalar_subquery()
    )


# The organisation ``org``: its name and the caller's membership role in it.
_IN_ORGANIZATION = Prepared(
    select(
        select(_ORGANIZATIONS.c.name)
        .where(_ORGANIZATIONS.c.id == bindparam("org"))
        .scalar_subquery()
        .label("organization_name"),
        _membership(bindparam("org")).label("role"),
        _NAME.label("name"),
    )
)


@functools.cache
def _about_row(table: Table) -> Prepared:
    """Row ``row_id`` of ``table``: its organisation, the caller's role there, the caller's name."""
    owner = (
        select(table.c.organization_id).where(table.c.id == bindparam("row_id")).scalar_subquery()
    )
    return Prepared(
        select(owner.label("owner"), _membership(owner).label("role"), _NAME.label("name"))
    )


@dataclass(frozen=True, slots=True)
class Caller:
    """The caller in one organisation: its role there (``None``: not a member), the
    organisation's name and the caller's own."""

    role: str | None
    organization_name: str | None
    name: str | None


def _role(organization_id: str, member_role: str | None) -> str | None:
    """The caller's role in ``organization_id``: the token's own, else the user's membership
    (an organisation's API key acts in its organisation only)."""
    principal = current_principal()
    if organization_id == principal.organization_id:
        return principal.role or "member"
    return member_role if principal.user_id is not None else None


async def caller_in(organization_id: str) -> Caller:
    """The caller in ``organization_id`` (one statement)."""
    params = {"org": organization_id, "user_id": current_principal().user_id}
    row = (await context.database().rows(_IN_ORGANIZATION, params))[0]
    return Caller(_role(organization_id, row.role), row.organization_name, row.name)


async def _about(model: Any, row_id: str | None) -> Any:
    params = {"row_id": row_id, "user_id": current_principal().user_id}
    return (await context.database().rows(_about_row(model.__table__), params))[0]


async def role_of_row(model: Any, row_id: str) -> tuple[str | None, str | None]:
    """``(organisation, the caller's role there)`` of row ``row_id`` of ``model``; the role is
    ``None`` when the caller is not a member, both are for an unknown row."""
    row = await _about(model, row_id)
    if row.owner is None:
        return None, None
    return row.owner, _role(row.owner, row.role)


async def actor_for(model: Any, row_id: str | None, *, write: bool = False) -> Actor:
    """The actor of a request about row ``row_id`` of ``model`` (a project, environment or
    variable; ``None``: the token's organisation), in one statement."""
    principal = current_principal()
    organization = principal.organization_id
    role = principal.role
    row = await _about(model, row_id)
    if row.owner is not None and row.owner != organization:
        found = _role(row.owner, row.role)
        if found is not None:
            organization, role = row.owner, found
    if write and role == "viewer":
        raise Forbidden("Viewers cannot change this organisation's data")
    in_token_org = organization == principal.organization_id
    return Actor(
        organization_id=organization,
        id=principal.user_id or principal.id,
        name=row.name,
        can_read_values=("read" in principal.scopes) if in_token_org else role in READ_ROLES,
    )
