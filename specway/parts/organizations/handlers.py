"""The ``organizations`` part: organisations and their members.

The include's ``options`` name the project's own tables an organisation owns
(:class:`~specway.parts.organizations.service.Tenancy`).
"""

from __future__ import annotations

from typing import Any

from specway import context
from specway.pagination import list_response, page_request
from specway.parts.access import auth_runtime, current_principal
from specway.parts.organizations import service
from specway.parts.organizations.service import Tenancy
from specway.plugins.audit import annotate
from specway.spec.include import part_options

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _tenancy() -> Tenancy:
    return Tenancy.from_options(part_options(context.app_state().spec.document, "organizations"))


async def list_organizations(page: int | None = None, per_page: int | None = None) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    async with context.database().session() as session:
        items, total = await service.list_organizations(
            session, current_principal(), request, _tenancy()
        )
    body, headers = list_response(op.pagination, items, total, request, context.path(), {})
    return body, 200, headers


async def create_organization(body: dict[str, Any]) -> Response:
    async with context.database().session() as session, session.begin():
        data = await service.create_organization(session, current_principal(), body, _tenancy())
    return data, 201, {"Location": f"{context.path()}/{data['id']}"}


async def get_organization(org_id: str) -> Response:
    async with context.database().session() as session:
        return await service.get_organization(session, current_principal(), org_id, _tenancy()), 200


async def update_organization(org_id: str, body: dict[str, Any]) -> Response:
    async with context.database().session() as session, session.begin():
        return await service.update_organization(
            session, current_principal(), org_id, body, _tenancy()
        ), 200


async def delete_organization(org_id: str) -> Response:
    async with context.database().session() as session, session.begin():
        await service.delete_organization(session, current_principal(), org_id, _tenancy())
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
