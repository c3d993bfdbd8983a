"""Handlers of the ``Projects`` tag: each one call of the project store."""

from __future__ import annotations

from typing import Any

from handlers.services.projects import ProjectStore
from specway import context
from specway.pagination import list_response, page_request

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _org() -> str | None:
    principal = context.principal()
    return principal.organization_id if principal else None


def _store() -> ProjectStore:
    return ProjectStore(context.database(), context.app_state().services.get("webhooks"))


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
    items, total = await _store().page(
        _org(), request, sort=sort, order=order, search=search, status=status
    )
    query = {"sort": sort, "order": order, "search": search, "status": status}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def get_project(project_id: str) -> Response:
    return await _store().get(_org(), project_id), 200


async def create_project(body: dict[str, Any]) -> Response:
    data = await _store().create(_org(), body)
    return data, 201, {"Location": f"{context.path()}/{data['id']}"}


async def update_project(project_id: str, body: dict[str, Any]) -> Response:
    return await _store().update(_org(), project_id, body), 200


async def delete_project(project_id: str) -> Response:
    await _store().delete(_org(), project_id)
    return None, 204
