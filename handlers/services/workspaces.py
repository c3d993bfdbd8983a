"""Workspaces (seeds 000 and 001): list with search and sorting, get, create, update, delete."""

from __future__ import annotations

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.models_platform import Workspace
from handlers.services.queries import owned_by
from specway.errors import NotFound
from specway.storage.store import REQUIRED, Resource, TableStore

_TABLE: Table = Workspace.__table__  # type: ignore[assignment]

WORKSPACE = Resource(
    table=_TABLE,
    name="workspace",
    id_prefix="ws",
    keys=(
        "id",
        "name",
        "description",
        "region",
        "organization",
        "config",
        "resource_quota",
        "created_at",
        "updated_at",
    ),
    defaults={"config": dict, "resource_quota": dict},
    fields={
        "name": REQUIRED,
        "description": "",
        "region": None,
        "config": dict,
        "resource_quota": dict,
    },
    merged=("config", "resource_quota"),
    sortable=("name", "created_at", "updated_at"),
    tie_ascending=True,
    search=("name", "description"),
)


class WorkspaceStore(TableStore):
    """Workspaces of one database: get, page (+ total), create, update (``config`` and
    ``resource_quota`` merged key by key), delete; results are the response's dicts."""

    resource = WORKSPACE


async def get_workspace(
    session: AsyncSession, organization_id: str | None, workspace_id: str
) -> Workspace:
    """The mapped workspace, or :class:`NotFound` (also for another organisation's id): for
    services that work in a session of their own (examples/hexabase)."""
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
