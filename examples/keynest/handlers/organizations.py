"""``Organizations``: list, create and get with the part's organisation service, each
organisation showing how many projects it has (KeyNest's ``project_count``)."""

from __future__ import annotations

from typing import Any

from specway import context
from specway.pagination import list_response, page_request
from specway.parts.access import current_principal
from specway.parts.organizations import service
from specway.parts.organizations.service import Tenancy

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]

# The reference API's projects table holds KeyNest's projects.
TENANCY = Tenancy({"project_count": "projects"})


async def list_organizations(page: int | None = None, per_page: int | None = None) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    async with context.database().session() as session:
        items, total = await service.list_organizations(
            session, current_principal(), request, TENANCY
        )
    body, headers = list_response(op.pagination, items, total, request, context.path(), {})
    return body, 200, headers


async def create_organization(body: dict[str, Any]) -> Response:
    async with context.database().session() as session, session.begin():
        data = await service.create_organization(session, current_principal(), body, TENANCY)
    return data, 201, {"Location": f"{context.path()}{data['id']}/"}


async def get_organization(org_id: str) -> Response:
    async with context.database().session() as session:
        return await service.get_organization(session, current_principal(), org_id, TENANCY), 200
