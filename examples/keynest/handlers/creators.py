"""Who made an environment or a variable, by name: KeyNest's ``created_by_name``.

The reference services store the acting principal's display name, which principals do not carry
(their ``Actor.name`` is ``None``). KeyNest shows the user's full name ("John Doe"), so its
handlers write it after the reference service has made the rows: the name of the user the
request acts for, on the rows that user made and that have none yet.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.models_platform import Environment, Variable
from specway import context
from specway.plugins.auth.models import User


async def display_name(session: AsyncSession, user_id: str | None) -> str | None:
    """``"First Last"`` of ``user_id`` (its email without a name), or ``None``."""
    if user_id is None:
        return None
    found = (
        await session.execute(
            select(User.first_name, User.last_name, User.email).where(User.id == user_id)
        )
    ).first()
    if found is None:
        return None
    name = f"{found.first_name} {found.last_name}".strip()
    return name or found.email


async def name_creator(model: type[Environment] | type[Variable], **where: str) -> str | None:
    """Write the caller's name into ``created_by_name`` of the rows matching ``where`` that
    the caller made and that have none; return the name."""
    principal = context.principal()
    user_id = principal.user_id if principal else None
    async with context.database().session() as session, session.begin():
        name = await display_name(session, user_id)
        if name is None:
            return None
        conditions = [getattr(model, column) == value for column, value in where.items()]
        await session.execute(
            update(model)
            .where(
                *conditions,
                model.created_by == user_id,
                model.created_by_name.is_(None),
            )
            .values(created_by_name=name)
            .execution_options(synchronize_session=False)
        )
    return name


async def with_creator_name(
    model: type[Environment] | type[Variable],
    result: tuple[Any, int] | tuple[Any, int, dict[str, str]],
) -> tuple[Any, int] | tuple[Any, int, dict[str, str]]:
    """A reference handler's ``result`` for a row it made, with the caller's name written to
    the row and shown in the body."""
    data = result[0]
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        name = await name_creator(model, id=data["id"])
        if name is not None:
            data["created_by_name"] = name
    return result
