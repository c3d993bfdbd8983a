"""Who a KeyNest request acts as, and in which organisation.

A KeyNest user belongs to every organisation they create or are added to, while their token acts
in one (their own). A request about a project, environment or variable acts in the organisation
that holds it if the user is a member there (a viewer may read, not change); anything else acts
in the token's organisation, where the reference services answer 404 for a foreign id. The
:class:`~handlers.runtime.Actor` carries the user's full name, which the services store as
``created_by_name`` ("John Doe" in the seed).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.runtime import Actor
from specway.errors import Forbidden
from specway.parts.access import current_principal
from specway.plugins.auth import accounts
from specway.plugins.auth.models import User

READ_ROLES = frozenset({"admin", "owner", "member", "viewer"})


async def role_in(session: AsyncSession, organization_id: str) -> str | None:
    """The caller's role in ``organization_id``: the token's own, or the user's membership."""
    principal = current_principal()
    if organization_id == principal.organization_id:
        return principal.role or "member"
    if principal.user_id is None:  # an organisation's API key acts in that organisation only
        return None
    member = await accounts.membership(session, organization_id, principal.user_id)
    return member.role if member is not None else None


async def display_name(session: AsyncSession, user_id: str | None) -> str | None:
    """``"First Last"`` of ``user_id`` (its email without a name), or ``None``."""
    if user_id is None:
        return None
    query = select(User.first_name, User.last_name, User.email).where(User.id == user_id)
    found = (await session.execute(query)).first()
    if found is None:
        return None
    return f"{found.first_name} {found.last_name}".strip() or str(found.email)


async def actor_for(
    session: AsyncSession, model: Any, row_id: str | None, *, write: bool = False
) -> Actor:
    """The actor of a request about row ``row_id`` of ``model`` (a project, environment or
    variable; ``None``: the token's organisation)."""
    principal = current_principal()
    organization = principal.organization_id
    role = principal.role
    if row_id is not None:
        owner = (
            await session.execute(select(model.organization_id).where(model.id == row_id))
        ).scalar_one_or_none()
        if owner is not None and owner != organization:
            found = await role_in(session, owner)
            if found is not None:
                organization, role = owner, found
    if write and role == "viewer":
        raise Forbidden("Viewers cannot change this organisation's data")
    in_token_org = organization == principal.organization_id
    return Actor(
        organization_id=organization,
        id=principal.user_id or principal.id,
        name=await display_name(session, principal.user_id),
        can_read_values=("read" in principal.scopes) if in_token_org else role in READ_ROLES,
    )
