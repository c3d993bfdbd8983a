"""Handlers of the ``Workspaces`` tag."""

from __future__ import annotations

from typing import Any

from handlers.runtime import current_actor
from handlers.services import workspaces as service
from specway import context
from specway.pagination import list_response, page_request

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


async def list_workspaces(
    page: int | None = None,
    per_page: int | None = None,
    sort: str = "created_at",
    order: str = "desc",
    search: str | None = None,
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    async with context.database().session() as session:
        rows, total = await service.list_workspaces(
            session, current_actor().organization_id, request, sort=sort, order=order, search=search
        )
        items = [service.workspace_to_dict(w) for w in rows]
    query = {"sort": sort, "order": order, "search": search}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def get_workspace(workspace_id: str) -> Response:
    async with context.database().session() as session:
        workspace = await service.get_workspace(
            session, current_actor().organization_id, workspace_id
        )
        return service.workspace_to_dict(workspace), 200


async def create_workspace(body: dict[str, Any]) -> Response:
    async with context.database().session() as session, session.begin():
        workspace = await service.create_workspace(session, current_actor(), body)
        data = service.workspace_to_dict(workspace)
    return data, 201, {"Location": f"{context.path()}/{data['id']}"}


async def update_workspace(workspace_id: str, body: dict[str, Any]) -> Response:
    async with context.database().session() as session, session.begin():
        workspace = await service.get_workspace(
            session, current_actor().organization_id, workspace_id
        )
        await service.update_workspace(session, workspace, body)
        return service.workspace_to_dict(workspace), 200


async def delete_workspace(workspace_id: str) -> Response:
    async with context.database().session() as session, session.begin():
        workspace = await service.get_workspace(
            session, current_actor().organization_id, workspace_id
        )
        await service.delete_workspace(session, workspace)
    return None, 204
