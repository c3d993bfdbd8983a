"""Handlers of the ``Variables`` tag. Values are sealed at rest; see the variables service."""

from __future__ import annotations

from typing import Any

from handlers.runtime import current_actor, current_secret_box
from handlers.services.environments import EnvironmentStore
from handlers.services.variables import VariableStore
from specway import context
from specway.pagination import list_response, page_request

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _store() -> VariableStore:
    webhooks = context.app_state().services.get("webhooks")
    return VariableStore(context.database(), webhooks, current_actor(), current_secret_box())


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
    store = _store()
    environment = await EnvironmentStore(store.database).get(
        store.actor.organization_id, environment_id
    )
    items, total = await store.page_of(environment, request, search=search, sort=sort, order=order)
    query = {"sort": sort, "order": order, "search": search}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def get_variable(variable_id: str) -> Response:
    return await _store().get_variable(variable_id), 200


async def create_variable(body: dict[str, Any]) -> Response:
    store = _store()
    environment = await EnvironmentStore(store.database).get(
        store.actor.organization_id, body["environment"]
    )
    data = await store.create_in(environment, body)
    return data, 201, {"Location": f"{context.path()}/{data['id']}"}


async def update_variable(variable_id: str, body: dict[str, Any]) -> Response:
    return await _store().change(variable_id, body), 200


async def delete_variable(variable_id: str) -> Response:
    await _store().remove(variable_id)
    return None, 204
