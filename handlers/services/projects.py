"""Projects: list with filters and sorting, get, create, update, delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.models import Project
from specway.errors import NotFound
from specway.ids import rfc3339, utcnow
from specway.pagination import PageRequest

SORTABLE = {
    "name": Project.name,
    "created_at": Project.created_at,
    "updated_at": Project.updated_at,
}


def project_to_dict(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "status": project.status,
        "organization": project.organization_id,
        "config": project.config or {},
        "created_at": rfc3339(project.created_at),
        "updated_at": rfc3339(project.updated_at),
    }


def _scoped(query: Select[Any], organization_id: str | None) -> Select[Any]:
    return query.where(
        Project.organization_id.is_(None)
        if organization_id is None
        else Project.organization_id == organization_id
    )


async def list_projects(
    session: AsyncSession,
    organization_id: str | None,
    page: PageRequest,
    *,
    sort: str = "created_at",
    order: str = "desc",
    search: str | None = None,
    status: str | None = None,
) -> tuple[list[Project], int]:
    query = _scoped(select(Project), organization_id)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            or_(
                func.lower(Project.name).like(pattern),
                func.lower(Project.description).like(pattern),
            )
        )
    if status:
        query = query.where(Project.status == status)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    column = SORTABLE.get(sort, Project.created_at)
    ordering = column.asc() if order == "asc" else column.desc()
    rows = await session.execute(
        query.order_by(ordering, Project.id).offset(page.offset).limit(page.per_page)
    )
    return list(rows.scalars()), int(total)


async def get_project(
    session: AsyncSession, organization_id: str | None, project_id: str
) -> Project:
    query = _scoped(select(Project), organization_id).where(Project.id == project_id)
    project: Project | None = (await session.execute(query)).scalar_one_or_none()
    if project is None:
        raise NotFound(
            f"Project {project_id} not found",
            details={"resource_type": "project", "resource_id": project_id},
        )
    return project


async def create_project(
    session: AsyncSession,
    organization_id: str | None,
    data: dict[str, Any],
    created_by: str | None = None,
) -> Project:
    now = utcnow()
    project = Project(
        organization_id=organization_id,
        name=data["name"],
        description=data.get("description", ""),
        status=data.get("status", "active"),
        config=data.get("config") or {},
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(project)
    await session.flush()
    return project


async def update_project(session: AsyncSession, project: Project, data: dict[str, Any]) -> Project:
    for field in ("name", "description", "status"):
        if field in data:
            setattr(project, field, data[field])
    if "config" in data:
        project.config = {**(project.config or {}), **(data["config"] or {})}
    project.updated_at = utcnow()
    await session.flush()
    return project


async def delete_project(session: AsyncSession, project: Project) -> None:
    await session.delete(project)
    await session.flush()


async def project_summaries(
    session: AsyncSession, projects: list[Project]
) -> dict[str, dict[str, Any]]:
    """Per project id: its organisation's name, its creator's name and its environment count."""
    from handlers.models_platform import Environment
    from plugins.auth.models import Organization, User

    ids = [p.id for p in projects]
    if not ids:
        return {}
    count_rows = await session.execute(
        select(Environment.project_id, func.count(Environment.id))
        .where(Environment.project_id.in_(ids))
        .group_by(Environment.project_id)
    )
    counts: dict[str, int] = {str(pid): int(n) for pid, n in count_rows.all()}
    org_ids = {p.organization_id for p in projects if p.organization_id}
    org_rows = await session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
    )
    orgs: dict[str, str] = {str(oid): str(name) for oid, name in org_rows.all()}
    user_ids = {p.created_by for p in projects if p.created_by}
    users = {
        u.id: f"{u.first_name} {u.last_name}".strip() or u.email
        for u in (await session.execute(select(User).where(User.id.in_(user_ids)))).scalars()
    }
    return {
        p.id: {
            "organization_name": orgs.get(p.organization_id or ""),
            "created_by_name": users.get(p.created_by or ""),
            "environment_count": int(counts.get(p.id, 0)),
        }
        for p in projects
    }
