"""``Projects``: the reference projects service, with KeyNest's organisation, creator and
environment-count fields on every project.

A KeyNest user can belong to several organisations (each one they create makes them its admin),
while their token acts in one (their own). ``organization`` in a list filter or a new project
names any organisation the user is a member of (a viewer cannot create in it); a project is read,
changed or deleted in whichever of the user's organisations holds it. Anything else is 404,
never a hint that it exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from examples.keynest.handlers.acting import role_in
from handlers.models import Project
from handlers.services import projects as service
from specway import context
from specway.errors import Forbidden, NotFound
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
        raise _org_not_found(organization)
    return org


def _org_not_found(organization: str) -> NotFound:
    return NotFound(
        f"Organization {organization} not found",
        details={"resource_type": "organization", "resource_id": organization},
    )


async def _organization(session: AsyncSession, organization: str | None, write: bool) -> str:
    """The organisation a request names (default: the token's), if the caller belongs to it."""
    if organization is None:
        return _org_filter(None)
    role = await role_in(session, organization)
    if role is None:
        raise _org_not_found(organization)
    if write and role == "viewer":
        raise Forbidden("Viewers cannot create projects")
    return organization


async def _project(session: AsyncSession, project_id: str, write: bool = False) -> Project:
    """``project_id`` in any organisation of the caller's (404 otherwise)."""
    project = await session.get(Project, project_id)
    role = None
    if project is not None and project.organization_id is not None:
        role = await role_in(session, project.organization_id)
    if project is None or role is None:
        raise NotFound(
            f"Project {project_id} not found",
            details={"resource_type": "project", "resource_id": project_id},
        )
    if write and role == "viewer":
        raise Forbidden("Viewers cannot change projects")
    return project


async def list_projects(
    organization: str | None = None,
    search: str | None = None,
    page: int | None = None,
    per_page: int | None = None,
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    async with context.database().session() as session:
        org = await _organization(session, organization, write=False)
        rows, total = await service.list_projects(session, org, request, search=search)
        items = await _views(session, rows)
    query = {"organization": organization, "search": search}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def get_project(project_id: str) -> Response:
    async with context.database().session() as session:
        project = await _project(session, project_id)
        return (await _views(session, [project]))[0], 200


async def create_project(body: dict[str, Any]) -> Response:
    fields = {k: v for k, v in body.items() if k != "organization"}
    async with context.database().session() as session, session.begin():
        org = await _organization(session, body.get("organization"), write=True)
        project = await service.create_project(
            session, org, fields, created_by=current_principal().user_id
        )
        data = (await _views(session, [project]))[0]
    return data, 201, {"Location": f"{context.path()}{data['id']}/"}


async def update_project(project_id: str, body: dict[str, Any]) -> Response:
    async with context.database().session() as session, session.begin():
        project = await _project(session, project_id, write=True)
        await service.update_project(session, project, body)
        return (await _views(session, [project]))[0], 200


async def delete_project(project_id: str) -> Response:
    async with context.database().session() as session, session.begin():
        project = await _project(session, project_id, write=True)
        await service.delete_project(session, project)
    return None, 204
