"""Handlers of the ``Variables`` tag. Values are sealed at rest; see the variables service."""

from __future__ import annotations

from typing import Any

from handlers.runtime import current_actor, current_secret_box
from handlers.services import variables as service
from handlers.services.environments import get_environment
from specway import context
from specway.pagination import list_response, page_request

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


async def list_environment_variables(
    environment_id: str,
    page: int | None = None,
    per_page: int | None = None,
    sort: str = "key",
    order: str = "asc",
    search: str | None = None,
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    actor = current_actor()
    box = current_secret_box()
    async with context.database().session() as session:
        environment = await get_environment(session, actor.organization_id, environment_id)
        rows, total = await service.list_variables(
            session, environment, request, search=search, sort=sort, order=order
        )
        items = [service.variable_to_dict(v, environment.name, box, actor) for v in rows]
    query = {"sort": sort, "order": order, "search": search}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def get_variable(variable_id: str) -> Response:
    actor = current_actor()
    async with context.database().session() as session:
        variable, environment = await service.get_variable(
            session, actor.organization_id, variable_id
        )
        data = service.variable_to_dict(variable, environment.name, current_secret_box(), actor)
    return data, 200


async def create_variable(body: dict[str, Any]) -> Response:
    actor = current_actor()
    box = current_secret_box()
    async with context.database().session() as session, session.begin():
        variable, environment = await service.create_variable(session, actor, box, body)
        data = service.variable_to_dict(variable, environment.name, box, actor)
    return data, 201, {"Location": f"{context.path()}/{data['id']}"}


async def update_variable(variable_id: str, body: dict[str, Any]) -> Response:
    actor = current_actor()
    box = current_secret_box()
    async with context.database().session() as session, session.begin():
        variable, environment = await service.get_variable(
            session, actor.organization_id, variable_id
        )
        await service.update_variable(session, actor, box, variable, body)
        data = service.variable_to_dict(variable, environment.name, box, actor)
    return data, 200


async def delete_variable(variable_id: str) -> Response:
    actor = current_actor()
    async with context.database().session() as session, session.begin():
        variable, _ = await service.get_variable(session, actor.organization_id, variable_id)
        await service.delete_variable(session, actor, variable)
    return None, 204
