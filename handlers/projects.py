"""Handlers of the ``Projects`` tag."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from handlers.services import projects as service
from specway import context
from specway.pagination import list_response, page_request
from specway.plugins.webhooks import emit_event
from specway.plugins.webhooks.outbox import record_event

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _org() -> str | None:
    principal = context.principal()
    return principal.organization_id if principal else None


async def list_projects(
    page: int | None = None,
    per_page: int | None = None,
    sort: str = "created_at",
    order: str = "desc",
    search: str | None = None,
    status: str | None = None,
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    org = _org()
    items, total = await context.database().read(
        lambda db: service.read_project_page(
            db, org, request, sort=sort, order=order, search=search, status=status
        )
    )
    query = {"sort": sort, "order": order, "search": search, "status": status}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def get_project(project_id: str) -> Response:
    org = _org()
    project = await context.database().read(
        lambda db: service.read_project_record(db, org, project_id)
    )
    return project, 200


async def create_project(body: dict[str, Any]) -> Response:
    state = context.app_state()
    org = _org()
    webhooks = state.services.get("webhooks")

    def create(connection: Connection) -> tuple[dict[str, Any], bool]:
        project = service.insert_project(connection, org, body)
        data = service.project_to_dict(project)
        queued = record_event(
            connection,
            webhooks,
            "project.created",
            {"project": data},
            organization_id=org,
            project_id=project.id,
        )
        return data, queued

    data, queued = await context.database().transaction(create)
    if queued and webhooks is not None:
        webhooks.notify()
    return data, 201, {"Location": f"{context.path()}/{data['id']}"}


async def update_project(project_id: str, body: dict[str, Any]) -> Response:
    async with context.database().session() as session, session.begin():
        project = await service.get_project(session, _org(), project_id)
        await service.update_project(session, project, body)
        data = service.project_to_dict(project)
        await emit_event(
            session,
            "project.updated",
            {"project": data},
            organization_id=project.organization_id,
            project_id=project.id,
        )
    return data, 200


async def delete_project(project_id: str) -> Response:
    async with context.database().session() as session, session.begin():
        project = await service.get_project(session, _org(), project_id)
        data = service.project_to_dict(project)
        await service.delete_project(session, project)
        await emit_event(
            session,
            "project.deleted",
            {"project": data},
            organization_id=project.organization_id,
            project_id=project.id,
        )
    return None, 204
