"""The ``webhooks`` part: endpoints, their delivery log and the event catalogue.

Thin: the webhooks plugin (:mod:`specway.plugins.webhooks`) owns the logic. Endpoints belong to
the caller's organisation; :func:`create_endpoint_for` serves a project's own scoped
``POST …/{resource}/{id}/webhooks`` once it has checked that resource.
"""

from __future__ import annotations

from typing import Any

from specway import context
from specway.errors import ServiceUnavailable
from specway.ids import parse_timestamp
from specway.pagination import list_response, page_request
from specway.plugins.webhooks import WebhookService
from specway.plugins.webhooks.delivery_log import DeliveryLog
from specway.plugins.webhooks.endpoint_store import EndpointStore

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def organization() -> str | None:
    """The caller's organisation (endpoints are the organisation's)."""
    principal = context.principal()
    return principal.organization_id if principal else None


def _service() -> WebhookService:
    try:
        service: WebhookService = context.app_state().service("webhooks")
    except KeyError:
        raise ServiceUnavailable("The webhooks plugin is not enabled") from None
    return service


def _store() -> EndpointStore:
    return EndpointStore(context.database(), _service())


def _log() -> DeliveryLog:
    return DeliveryLog(context.database(), _service())


async def list_webhooks(
    page: int | None = None,
    per_page: int | None = None,
    project_id: str | None = None,
    enabled: bool | None = None,
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    items, total = await _store().page(
        organization(), request, project_id=project_id, enabled=enabled
    )
    query = {"project_id": project_id, "enabled": enabled}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def create_webhook(body: dict[str, Any]) -> Response:
    data = await _store().create(organization(), body)
    return data, 201, {"Location": f"{context.path()}/{data['id']}"}


async def create_endpoint_for(project_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A new endpoint scoped to ``project_id`` (already checked by the caller), with its secret."""
    return await _store().create(organization(), body, project_id=project_id)


async def get_webhook(webhook_id: str) -> Response:
    return await _store().get(organization(), webhook_id), 200


async def update_webhook(webhook_id: str, body: dict[str, Any]) -> Response:
    return await _store().update(organization(), webhook_id, body), 200


async def delete_webhook(webhook_id: str) -> Response:
    await _store().delete(organization(), webhook_id)
    return None, 204


async def rotate_webhook_secret(webhook_id: str) -> Response:
    return await _store().rotate_secret(organization(), webhook_id), 200


async def test_webhook(webhook_id: str) -> Response:
    endpoint = await _store().get(organization(), webhook_id)
    return await _log().send_test(endpoint), 202


async def list_webhook_deliveries(
    webhook_id: str,
    page: int | None = None,
    per_page: int | None = None,
    status: str | None = None,
    event: str | None = None,
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    await _store().get(organization(), webhook_id)
    items, total = await _log().page(webhook_id, request, status=status, event=event)
    query = {"status": status, "event": event}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def redeliver_webhook_delivery(webhook_id: str, delivery_id: str) -> Response:
    endpoint = await _store().get(organization(), webhook_id)
    return await _log().redeliver(endpoint, delivery_id), 202


async def recover_webhook(webhook_id: str, body: dict[str, Any]) -> Response:
    since = parse_timestamp(body["since"], "since")
    until = parse_timestamp(body["until"], "until") if body.get("until") else None
    endpoint = await _store().get(organization(), webhook_id)
    count = await _log().recover(endpoint, since, until)
    return {"recovered": count}, 202


async def list_webhook_events() -> Response:
    catalogue = _service().catalogue
    return {"data": [catalogue.events[name].to_dict() for name in catalogue.names()]}, 200
