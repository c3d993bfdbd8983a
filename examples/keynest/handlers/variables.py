"""``Variables``: the reference variable store (values sealed at rest), acting in the
organisation that holds the environment or variable (:mod:`.acting`)."""

from __future__ import annotations

from typing import Any

from examples.keynest.handlers.acting import actor_for
from handlers.models_platform import Environment, Variable
from handlers.runtime import Actor, current_secret_box
from handlers.services.environments import EnvironmentStore
from handlers.services.variables import VariableStore
from specway import context
from specway.pagination import list_response, page_request

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _store(actor: Actor) -> VariableStore:
    webhooks = context.app_state().services.get("webhooks")
    return VariableStore(context.database(), webhooks, actor, current_secret_box())


async def _environment(store: VariableStore, environment_id: str) -> dict[str, Any]:
    return await EnvironmentStore(store.database).get(store.actor.organization_id, environment_id)


async def list_environment_variables(
    environment_id: str, page: int | None = None, per_page: int | None = None
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    store = _store(await actor_for(Environment, environment_id))
    environment = await _environment(store, environment_id)
    items, total = await store.page_of(environment, request)
    body, headers = list_response(op.pagination, items, total, request, context.path(), {})
    return body, 200, headers


async def create_variable(body: dict[str, Any]) -> Response:
    store = _store(await actor_for(Environment, body.get("environment"), write=True))
    data = await store.create_in(await _environment(store, body["environment"]), body)
    return data, 201, {"Location": f"{context.path()}{data['id']}/"}


async def update_variable(variable_id: str, body: dict[str, Any]) -> Response:
    store = _store(await actor_for(Variable, variable_id, write=True))
    return await store.change(variable_id, body), 200


async def delete_variable(variable_id: str) -> Response:
    store = _store(await actor_for(Variable, variable_id, write=True))
    await store.remove(variable_id)
    return None, 204
