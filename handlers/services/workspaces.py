"""Workspaces (seeds 000 and 001): list with search and sorting, get, create, update, delete."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    Table,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.models_platform import Workspace
from handlers.runtime import Actor
from handlers.services.queries import fetch_page, like_pattern, owned_by
from specway.errors import NotFound
from specway.ids import new_id, rfc3339, utcnow
from specway.pagination import PageRequest
from specway.storage.database import Database
from specway.storage.prepared import Prepared
from specway.storage.sqltime import rfc3339_text

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


# --- The store: the one API the handlers use (see docs/performance.md, the storage path) ----

_TABLE: Table = Workspace.__table__  # type: ignore[assignment]
_COLUMNS = _TABLE.c
_KEYS = (
    "id",
    "name",
    "description",
    "region",
    "organization",
    "config",
    "resource_quota",
    "created_at",
    "updated_at",
)
# Every response key but the organisation, which each read's WHERE pins to ``org``.
_RESPONSE = (
    _COLUMNS.id,
    _COLUMNS.name,
    _COLUMNS.description,
    _COLUMNS.region,
    _COLUMNS.config,
    _COLUMNS.resource_quota,
    rfc3339_text(_COLUMNS.created_at).label("created_at"),
    rfc3339_text(_COLUMNS.updated_at).label("updated_at"),
)
_DEFAULTS = {"config": dict, "resource_quota": dict}
_STORE_SORTABLE = {name: _COLUMNS[name] for name in ("name", "created_at", "updated_at")}
_INSERT = Prepared(insert(_TABLE))
_UPDATE = Prepared(update(_TABLE).where(_COLUMNS.id == bindparam("workspace_id")))
_DELETE = Prepared(delete(_TABLE).where(_COLUMNS.id == bindparam("workspace_id")))


def _where(no_org: bool) -> list[ColumnElement[bool]]:
    column = _COLUMNS.organization_id
    return [column.is_(None) if no_org else column == bindparam("org")]


def _records(statement: Select[Any]) -> Prepared:
    return Prepared(statement, record=_KEYS, defaults=_DEFAULTS, bound={"organization": "org"})


@functools.cache
def _get(no_org: bool) -> Prepared:
    where = [*_where(no_org), _COLUMNS.id == bindparam("workspace_id")]
    return _records(select(*_RESPONSE).where(*where))


@functools.cache
def _page(no_org: bool, sort: str, order: str, search: bool) -> tuple[Prepared, Prepared]:
    """``(count, page)``: the page's rows carry the total (one statement, see projects)."""
    where = _where(no_org)
    if search:
        pattern: BindParameter[str] = bindparam("pattern")
        where.append(
            or_(
                func.lower(_COLUMNS.name).like(pattern, escape="\\"),
                func.lower(_COLUMNS.description).like(pattern, escape="\\"),
            )
        )
    column = _STORE_SORTABLE[sort]
    count = select(func.count()).select_from(_TABLE).where(*where)
    page = (
        select(*_RESPONSE, count.scalar_subquery().label("total"))
        .where(*where)
        .order_by(column.asc() if order == "asc" else column.desc(), _COLUMNS.id.asc())
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )
    return Prepared(count), _records(page)


class WorkspaceStore:
    """Workspaces of one database: get, page (+ total), create, update, delete; results are
    the response's dicts (:func:`workspace_to_dict`'s)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def get(self, organization_id: str | None, workspace_id: str) -> dict[str, Any]:
        params = {"org": organization_id, "workspace_id": workspace_id}
        records, _ = await self.database.records(_get(organization_id is None), params)
        if not records:
            raise NotFound(
                f"Workspace {workspace_id} not found",
                details={"resource_type": "workspace", "resource_id": workspace_id},
            )
        return records[0]

    async def page(
        self,
        organization_id: str | None,
        page: PageRequest,
        *,
        sort: str = "created_at",
        order: str = "desc",
        search: str | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        sort = sort if sort in _STORE_SORTABLE else "created_at"
        order = "asc" if order == "asc" else "desc"
        count, query = _page(organization_id is None, sort, order, bool(search))
        params: dict[str, Any] = {
            "org": organization_id,
            "offset": page.offset,
            "limit": page.per_page,
        }
        if search:
            params["pattern"] = like_pattern(search)
        items, rest = await self.database.records(query, params)
        if items:
            return items, int(rest[0])
        if not page.offset:
            return [], 0
        return [], int((await self.database.rows(count, params))[0][0])

    async def create(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
        now = utcnow()
        values = {
            "id": new_id("ws"),
            "organization_id": actor.organization_id,
            "name": data["name"],
            "description": data.get("description", ""),
            "region": data.get("region"),
            "config": dict(data.get("config") or {}),
            "resource_quota": dict(data.get("resource_quota") or {}),
            "created_by": actor.id,
            "created_at": now,
            "updated_at": now,
        }
        await self.database.write([(_INSERT, values)])
        stamp = rfc3339(now)
        return {
            **{key: values[key] for key in _KEYS if key in values},
            "organization": actor.organization_id,
            "created_at": stamp,
            "updated_at": stamp,
        }

    async def update(
        self, organization_id: str | None, workspace_id: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Set the given fields; ``config`` and ``resource_quota`` merged key by key."""
        current = await self.get(organization_id, workspace_id)
        values: dict[str, Any] = {
            k: data[k] for k in ("name", "description", "region") if k in data
        }
        for name in ("config", "resource_quota"):
            if name in data:
                values[name] = {**(current[name] or {}), **(data[name] or {})}
        now = utcnow()
        await self.database.write(
            [(_UPDATE, {**values, "updated_at": now, "workspace_id": workspace_id})]
        )
        return {**current, **values, "updated_at": rfc3339(now)}

    async def delete(self, organization_id: str | None, workspace_id: str) -> None:
        await self.get(organization_id, workspace_id)
        await self.database.write([(_DELETE, {"workspace_id": workspace_id})])
