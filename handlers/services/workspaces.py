"""Workspaces (seeds 000 and 001): list with search and sorting, get, create, update, delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.models_platform import Workspace
from handlers.runtime import Actor
from handlers.services.queries import fetch_page, like_pattern, owned_by
from specway.errors import NotFound
from specway.ids import rfc3339, utcnow
from specway.pagination import PageRequest

SORTABLE = {
    "name": Workspace.name,
    "created_at": Workspace.created_at,
    "updated_at": Workspace.updated_at,
}


def workspace_to_dict(workspace: Workspace) -> dict[str, Any]:
    """The API representation of ``workspace``."""
    return {
        "id": workspace.id,
        "name": workspace.name,
        "description": workspace.description,
        "region": workspace.region,
        "organization": workspace.organization_id,
        "config": workspace.config or {},
        "resource_quota": workspace.resource_quota or {},
        "created_at": rfc3339(workspace.created_at),
        "updated_at": rfc3339(workspace.updated_at),
    }


async def list_workspaces(
    session: AsyncSession,
    organization_id: str | None,
    page: PageRequest,
    *,
    sort: str = "created_at",
    order: str = "desc",
    search: str | None = None,
) -> tuple[list[Workspace], int]:
    """One page of the organisation's workspaces, optionally matching ``search``."""
    query = select(Workspace).where(owned_by(Workspace.organization_id, organization_id))
    if search:
        pattern = like_pattern(search)
        query = query.where(
            or_(
                func.lower(Workspace.name).like(pattern, escape="\\"),
                func.lower(Workspace.description).like(pattern, escape="\\"),
            )
        )
    rows, total = await fetch_page(
        session,
        query,
        page,
        sortable=SORTABLE,
        sort=sort,
        order=order,
        default_sort="created_at",
        tie_breaker=Workspace.id,
    )
    return [row[0] for row in rows], total


async def get_workspace(
    session: AsyncSession, organization_id: str | None, workspace_id: str
) -> Workspace:
    """The workspace, or :class:`NotFound` (also for another organisation's id)."""
    query = select(Workspace).where(
        owned_by(Workspace.organization_id, organization_id), Workspace.id == workspace_id
    )
    workspace: Workspace | None = (await session.execute(query)).scalar_one_or_none()
    if workspace is None:
        raise NotFound(
            f"Workspace {workspace_id} not found",
            details={"resource_type": "workspace", "resource_id": workspace_id},
        )
    return workspace


async def create_workspace(session: AsyncSession, actor: Actor, data: dict[str, Any]) -> Workspace:
    """A new workspace in the actor's organisation."""
    now = utcnow()
    workspace = Workspace(
        organization_id=actor.organization_id,
        name=data["name"],
        description=data.get("description", ""),
        region=data.get("region"),
        config=dict(data.get("config") or {}),
        resource_quota=dict(data.get("resource_quota") or {}),
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(workspace)
    await session.flush()
    return workspace


async def update_workspace(
    session: AsyncSession, workspace: Workspace, data: dict[str, Any]
) -> Workspace:
    """Set the given fields; ``config`` and ``resource_quota`` are merged key by key."""
    for name in ("name", "description", "region"):
        if name in data:
            setattr(workspace, name, data[name])
    for name in ("config", "resource_quota"):
        if name in data:
            setattr(workspace, name, {**(getattr(workspace, name) or {}), **(data[name] or {})})
    workspace.updated_at = utcnow()
    await session.flush()
    return workspace


async def delete_workspace(session: AsyncSession, workspace: Workspace) -> None:
    await session.delete(workspace)
    await session.flush()
