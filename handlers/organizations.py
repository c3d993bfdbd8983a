"""Handlers of the ``Organizations`` tag: organisations and their members."""

from __future__ import annotations

from typing import Any

from handlers.services import organizations as service
from handlers.services.access import auth_runtime, current_principal
from specway import context
from specway.pagination import list_response, page_request
from specway.plugins.audit import annotate

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


async def list_organizations(page: int | None = None, per_page: int | None = None) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    async with context.database().session() as session:
        items, total = await service.list_organizations(session, current_principal(), request)
    body, headers = list_response(op.pagination, items, total, request, context.path(), {})
    return body, 200, headers


async def create_organization(body: dict[str, Any]) -> Response:
    async with context.database().session() as session, session.begin():
        data = await service.create_organization(session, current_principal(), body)
    return data, 201, {"Location": f"{context.path()}/{data['id']}"}


async def get_organization(org_id: str) -> Response:
    async with context.database().session() as session:
        return await service.get_organization(session, current_principal(), org_id), 200


async def update_organization(org_id: str, body: dict[str, Any]) -> Response:
    async with context.database().session() as session, session.begin():
        return await service.update_organization(session, current_principal(), org_id, body), 200


async def delete_organization(org_id: str) -> Response:
    async with context.database().session() as session, session.begin():
        await service.delete_organization(session, current_principal(), org_id)
    await auth_runtime().invalidate()
    return None, 204


async def list_members(
    org_id: str, page: int | None = None, per_page: int | None = None
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    async with context.database().session() as session:
        items, total = await service.list_members(session, current_principal(), org_id, request)
    body, headers = list_response(op.pagination, items, total, request, context.path(), {})
    return body, 200, headers


async def add_member(org_id: str, body: dict[str, Any]) -> Response:
    async with context.database().session() as session, session.begin():
        member = await service.add_member(session, current_principal(), org_id, body)
    # The response names the member by ``user_id``, not ``id``: tell the audit row.
    annotate(context.current_scope(), target_id=member["user_id"])
    return member, 201


async def remove_member(org_id: str, user_id: str) -> Response:
    async with context.database().session() as session, session.begin():
        await service.remove_member(session, current_principal(), org_id, user_id)
    await auth_runtime().invalidate()
    return None, 204
