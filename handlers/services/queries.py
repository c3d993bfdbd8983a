"""Query helpers the workspace, environment, variable and project services share.

``owned_by`` is the tenant filter every query of theirs goes through; ``fetch_page`` counts,
sorts (with the id as tie-breaker, so pages never overlap) and cuts one page; ``user_name`` is
a user's display name, computed in the statement that needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import ColumnElement, ScalarSelect, Select, Table, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from specway.pagination import PageRequest
from specway.plugins.auth.models import User
from specway.storage.store import like_pattern

__all__ = ["fetch_page", "like_pattern", "owned_by", "user_name"]

_USERS = cast(Table, User.__table__)


def user_name(user_id: ColumnElement[Any]) -> ScalarSelect[Any]:
    """The display name of the user ``user_id`` names: "First Last", or the email of a user
    without a name; NULL for no user."""
    full = func.trim(_USERS.c.first_name + literal(" ") + _USERS.c.last_name)
    return (
        select(func.coalesce(func.nullif(full, ""), _USERS.c.email))
        .where(_USERS.c.id == user_id)
        .scalar_subquery()
    )


def owned_by(
    column: InstrumentedAttribute[Any], organization_id: str | None
) -> ColumnElement[bool]:
    """Rows of ``organization_id``; ``None`` means "no organisation" (authentication off)."""
    if organization_id is None:
        return column.is_(None)
    return column == organization_id


async def fetch_page(
    session: AsyncSession,
    query: Select[Any],
    page: PageRequest,
    *,
    sortable: Mapping[str, InstrumentedAttribute[Any]],
    sort: str,
    order: str,
    default_sort: str,
    tie_breaker: InstrumentedAttribute[Any],
) -> tuple[list[Any], int]:
    """``(rows, total)``: one page of ``query`` sorted by ``sort``/``order``."""
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    column = sortable.get(sort, sortable[default_sort])
    ordering = column.asc() if order == "asc" else column.desc()
    result = await session.execute(
        query.order_by(ordering, tie_breaker.asc()).offset(page.offset).limit(page.per_page)
    )
    return list(result.all()), int(total)
