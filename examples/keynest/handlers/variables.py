"""``Variables``: the reference variables service (values sealed at rest), acting in the
organisation that holds the environment or variable (:mod:`.acting`)."""

from __future__ import annotations

from typing import Any

from examples.keynest.handlers.acting import actor_for
from handlers.models_platform import Environment, Variable
from handlers.runtime import current_secret_box
from handlers.services import variables as service
from handlers.services.environments import get_environment
from specway import context
from specway.pagination import list_response, page_request

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


async def list_environment_variables(
    environment_id: str, page: int | None = None, per_page: int | None = None
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    box = current_secret_box()
    async with context.database().session() as session:
        actor = await actor_for(session, Environment, environment_id)
        environment = await get_environment(session, actor.organization_id, environment_id)
        rows, total = await service.list_variables(session, environment, request)
        items = [service.variable_to_dict(v, environment.name, box, actor) for v in rows]
    body, headers = list_response(op.pagination, items, total, request, context.path(), {})
    return body, 200, headers


async def create_variable(body: dict[str, Any]) -> Response:
    box = current_secret_box()
    async with context.database().session() as session, session.begin():
        actor = await actor_for(session, Environment, body.get("environment"), write=True)
        variable, environment = await service.create_variable(session, actor, box, body)
        data = service.variable_to_dict(variable, environment.name, box, actor)
    return data, 201, {"Location": f"{context.path()}{data['id']}/"}


async def update_variable(variable_id: str, body: dict[str, Any]) -> Response:
    box = current_secret_box()
    async with context.database().session() as session, session.begin():
        actor = await actor_for(session, Variable, variable_id, write=True)
        variable, environment = await service.get_variable(
            session, actor.organization_id, variable_id
        )
        await service.update_variable(session, actor, box, variable, body)
        data = service.variable_to_dict(variable, environment.name, box, actor)
    return data, 200


async def delete_variable(variable_id: str) -> Response:
    async with context.database().session() as session, session.begin():
        actor = await actor_for(session, Variable, variable_id, write=True)
        variable, _ = await service.get_variable(session, actor.organization_id, variable_id)
        await service.delete_variable(session, actor, variable)
    return None, 204
