"""``Resources``: YourCompany's resources, each one call of
:class:`~examples.yourcompany.resource_store.ResourceStore` (reference projects of the caller's
organisation, ``type`` and ``config`` kept in the project's ``config`` document)."""

from __future__ import annotations

from typing import Any

from examples.yourcompany.resource_store import ResourceStore, present
from specway import context
from specway.pagination import list_response, page_request
from specway.parts.access import current_principal

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _org() -> str:
    return current_principal().organization_id or ""


def _store() -> ResourceStore:
    return ResourceStore(context.database(), context.app_state().services.get("webhooks"))


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
    rows, total = await _store().page(
        _org(), request, sort=sort, order=order, status=status, type=type
    )
    items = [present(row) for row in rows]
    query = {"status": status, "type": type, "sort": sort, "order": order}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def create_resource(body: dict[str, Any]) -> Response:
    data = await _store().create_resource(_org(), body, current_principal().user_id)
    return data, 201, {"Location": f"{context.path()}/{data['id']}"}


async def get_resource(resource_id: str) -> Response:
    return present(await _store().get(_org(), resource_id)), 200


async def update_resource(resource_id: str, body: dict[str, Any]) -> Response:
    return await _store().change(_org(), resource_id, body), 200


async def delete_resource(resource_id: str) -> Response:
    await _store().delete(_org(), resource_id)
    return None, 204
