"""``Resources``: YourCompany's resources, stored as projects of the caller's organisation.

A resource is a reference project: ``name`` and ``status`` are the project's own; its ``type``
and ``config`` live in the project's ``config`` document as ``{"type", "settings"}``. Reading,
updating and deleting go through the reference projects service; only the list has its own
query, because the reference service cannot filter by ``type``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.models import Project
from handlers.services import projects as service
from specway import context
from specway.ids import rfc3339
from specway.pagination import PageRequest, list_response, page_request
from specway.parts.access import current_principal
from specway.plugins.webhooks import emit_event

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def resource_to_dict(project: Project) -> dict[str, Any]:
    stored = project.config or {}
    settings = stored.get("settings")
    return {
        "id": project.id,
        "name": project.name,
        "type": stored.get("type"),
        "status": project.status,
        "config": settings if isinstance(settings, dict) else {},
        "created_at": rfc3339(project.created_at),
        "updated_at": rfc3339(project.updated_at),
    }


def _org() -> str:
    return current_principal().organization_id or ""


async def _page(
    session: AsyncSession,
    organization_id: str,
    request: PageRequest,
    *,
    status: str | None,
    type: str | None,
    sort: str,
    order: str,
) -> tuple[list[Project], int]:
    query = select(Project).where(Project.organization_id == organization_id)
    if status:
        query = query.where(Project.status == status)
    if type:
        query = query.where(Project.config["type"].as_string() == type)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    column = service.SORTABLE.get(sort, Project.created_at)
    ordering = column.asc() if order == "asc" else column.desc()
    rows = await session.execute(
        query.order_by(ordering, Project.id).offset(request.offset).limit(request.per_page)
    )
    return list(rows.scalars()), int(total)


async def list_resources(
    status: str | None = None,
    type: str | None = None,
    sort: str = "created_at",
    order: str = "desc",
    page: int | None = None,
    per_page: int | None = None,
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    async with context.database().session() as session:
        rows, total = await _page(
            session, _org(), request, status=status, type=type, sort=sort, order=order
        )
        items = [resource_to_dict(p) for p in rows]
    query = {"status": status, "type": type, "sort": sort, "order": order}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def create_resource(body: dict[str, Any]) -> Response:
    fields = {
        "name": body["name"],
        "status": body.get("status", "active"),
        "config": {"type": body["type"], "settings": body.get("config") or {}},
    }
    principal = current_principal()
    async with context.database().session() as session, session.begin():
        project = await service.create_project(
            session, _org(), fields, created_by=principal.user_id
        )
        data = resource_to_dict(project)
        await emit_event(session, "resource.created", {k: data[k] for k in ("id", "type", "name")})
    return data, 201, {"Location": f"{context.path()}/{data['id']}"}


async def get_resource(resource_id: str) -> Response:
    async with context.database().session() as session:
        project = await service.get_project(session, _org(), resource_id)
        return resource_to_dict(project), 200


async def update_resource(resource_id: str, body: dict[str, Any]) -> Response:
    async with context.database().session() as session, session.begin():
        project = await service.get_project(session, _org(), resource_id)
        fields: dict[str, Any] = {k: body[k] for k in ("name", "status") if k in body}
        if "type" in body or "config" in body:
            current = resource_to_dict(project)
            fields["config"] = {
                "type": body.get("type", current["type"]),
                "settings": {**current["config"], **(body.get("config") or {})},
            }
        await service.update_project(session, project, fields)
        return resource_to_dict(project), 200


async def delete_resource(resource_id: str) -> Response:
    async with context.database().session() as session, session.begin():
        project = await service.get_project(session, _org(), resource_id)
        await service.delete_project(session, project)
    return None, 204
