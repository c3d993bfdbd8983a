"""Handlers of the ``Workspaces`` tag: each one call of the workspace store."""

from __future__ import annotations

from typing import Any

from handlers.runtime import current_actor
from handlers.services.workspaces import WorkspaceStore
from specway import context
from specway.pagination import list_response, page_request

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _store() -> WorkspaceStore:
    return WorkspaceStore(context.database())


async def list_workspaces(
    page: int | None = None,
    per_page: int | None = None,
    sort: str = "created_at",
    order: str = "desc",
    search: str | None = None,
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    items, total = await _store().page(
        current_actor().organization_id, request, sort=sort, order=order, search=search
    )
    query = {"sort": sort, "order": order, "search": search}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def get_workspace(workspace_id: str) -> Response:
    return await _store().get(current_actor().organization_id, workspace_id), 200


async def create_workspace(body: dict[str, Any]) -> Response:
    actor = current_actor()
    data = await _store().create(actor.organization_id, body, created_by=actor.id)
    return data, 201, {"Location": f"{context.path()}/{data['id']}"}


async def update_workspace(workspace_id: str, body: dict[str, Any]) -> Response:
    return await _store().update(current_actor().organization_id, workspace_id, body), 200


async def delete_workspace(workspace_id: str) -> Response:
    await _store().delete(current_actor().organization_id, workspace_id)
    return None, 204
