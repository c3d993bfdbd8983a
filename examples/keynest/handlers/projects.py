"""``Projects``: the reference projects service, with KeyNest's organisation, creator and
environment-count fields on every project."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.services import projects as service
from specway import context
from specway.errors import NotFound
from specway.pagination import list_response, page_request
from specway.parts.access import current_principal

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


async def _views(
    session: AsyncSession, projects: Sequence[service.ProjectRecord]
) -> list[dict[str, Any]]:
    extra = await service.project_summaries(session, projects)
    out = []
    for project in projects:
        data = service.project_to_dict(project)
        out.append(
            {
                "id": data["id"],
                "name": data["name"],
                "description": data["description"],
                "organization": data["organization"],
                "created_at": data["created_at"],
                "updated_at": data["updated_at"],
                **extra[project.id],
            }
        )
    return out


def _org_filter(organization: str | None) -> str:
    """The caller's organisation; another organisation's id is unknown (404), never visible."""
    org = current_principal().organization_id or ""
    if organization is not None and organization != org:
        raise NotFound(
            f"Organization {organization} not found",
            details={"resource_type": "organization", "resource_id": organization},
        )
    return org


async def list_projects(
    organization: str | None = None,
    search: str | None = None,
    page: int | None = None,
    per_page: int | None = None,
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    org = _org_filter(organization)
    async with context.database().session() as session:
        rows, total = await service.list_projects(session, org, request, search=search)
        items = await _views(session, rows)
    query = {"organization": organization, "search": search}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def get_project(project_id: str) -> Response:
    async with context.database().session() as session:
        project = await service.get_project(session, _org_filter(None), project_id)
        return (await _views(session, [project]))[0], 200


async def create_project(body: dict[str, Any]) -> Response:
    org = _org_filter(body.get("organization"))
    fields = {k: v for k, v in body.items() if k != "organization"}
    async with context.database().session() as session, session.begin():
        project = await service.create_project(
            session, org, fields, created_by=current_principal().user_id
        )
        data = (await _views(session, [project]))[0]
    return data, 201, {"Location": f"{context.path()}{data['id']}/"}


async def update_project(project_id: str, body: dict[str, Any]) -> Response:
    async with context.database().session() as session, session.begin():
        project = await service.get_project(session, _org_filter(None), project_id)
        await service.update_project(session, project, body)
        return (await _views(session, [project]))[0], 200


async def delete_project(project_id: str) -> Response:
    async with context.database().session() as session, session.begin():
        project = await service.get_project(session, _org_filter(None), project_id)
        await service.delete_project(session, project)
    return None, 204
