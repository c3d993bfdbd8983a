"""Webhook endpoints (subscriptions): create, read, update, delete, rotate the secret.

Every query is scoped to one organisation; another organisation's ids are "not found". URLs
pass the SSRF guard on save (and again on every connection, see :mod:`~plugins.webhooks.sender`).
Secrets are sealed at rest and shown only on create and rotate.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from specway.errors import BadRequest, NotFound
from specway.ids import new_id, rfc3339
from specway.pagination import PageRequest
from specway.plugins.webhooks.models import WebhookEndpoint
from specway.plugins.webhooks.service import ROTATION_OVERLAP, WebhookService
from specway.plugins.webhooks.signing import new_secret
from specway.plugins.webhooks.ssrf import UnsafeURLError


def endpoint_to_dict(endpoint: WebhookEndpoint, secret: str | None = None) -> dict[str, Any]:
    """The API shape of an endpoint; ``secret`` only for the one-time reveal."""
    body: dict[str, Any] = {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": list(endpoint.events),
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "project_id": endpoint.project_id,
        "organization": endpoint.organization_id,
        "failing_since": rfc3339(endpoint.failing_since),
        "previous_secret_expires_at": rfc3339(endpoint.previous_secret_expires_at),
        "created_at": rfc3339(endpoint.created_at),
        "updated_at": rfc3339(endpoint.updated_at),
    }
    if secret is not None:
        body["secret"] = secret
    return body


def scoped(query: Select[Any], organization_id: str | None) -> Select[Any]:
    """``query`` limited to ``organization_id``'s endpoints."""
    column = WebhookEndpoint.organization_id
    return query.where(column.is_(None) if organization_id is None else column == organization_id)


async def check_url(service: WebhookService, url: str) -> str:
    """``url`` if the SSRF guard accepts it; otherwise 400 with the reason."""
    try:
        await service.guard.resolve(url)
    except UnsafeURLError as exc:
        raise BadRequest(
            f"Webhook URL refused: {exc.reason}",
            details=[{"field": "url", "in": "body", "reason": exc.reason}],
        ) from None
    return url


async def get_endpoint(
    session: AsyncSession, organization_id: str | None, endpoint_id: str
) -> WebhookEndpoint:
    """One endpoint of the organisation, or 404."""
    query = scoped(select(WebhookEndpoint), organization_id).where(
        WebhookEndpoint.id == endpoint_id
    )
    endpoint: WebhookEndpoint | None = (await session.execute(query)).scalar_one_or_none()
    if endpoint is None:
        raise NotFound(
            f"Webhook {endpoint_id} not found",
            details={"resource_type": "webhook", "resource_id": endpoint_id},
        )
    return endpoint


async def list_endpoints(
    session: AsyncSession,
    organization_id: str | None,
    page: PageRequest,
    *,
    project_id: str | None = None,
    enabled: bool | None = None,
) -> tuple[list[WebhookEndpoint], int]:
    query = scoped(select(WebhookEndpoint), organization_id)
    if project_id is not None:
        query = query.where(WebhookEndpoint.project_id == project_id)
    if enabled is not None:
        query = query.where(WebhookEndpoint.enabled.is_(enabled))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(
        query.order_by(WebhookEndpoint.created_at.desc(), WebhookEndpoint.id)
        .offset(page.offset)
        .limit(page.per_page)
    )
    return list(rows.scalars()), int(total)


async def create_endpoint(
    session: AsyncSession,
    service: WebhookService,
    organization_id: str | None,
    data: dict[str, Any],
    *,
    project_id: str | None = None,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (the only time the secret is returned)."""
    events = service.catalogue.check_filters(list(data["events"]))
    url = await check_url(service, data["url"])
    now = service.now()
    endpoint_id = new_id("wh")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id=endpoint_id,
        organization_id=organization_id,
        project_id=project_id,
        url=url,
        description=data.get("description", ""),
        events=events,
        enabled=data.get("enabled", True),
        secret=service.seal_secret(endpoint_id, secret),
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def update_endpoint(
    session: AsyncSession,
    service: WebhookService,
    endpoint: WebhookEndpoint,
    data: dict[str, Any],
) -> WebhookEndpoint:
    """Change the given fields; enabling again clears the disabled reason and failure clock."""
    if "events" in data:
        endpoint.events = service.catalogue.check_filters(list(data["events"]))
    if "url" in data:
        endpoint.url = await check_url(service, data["url"])
    if "description" in data:
        endpoint.description = data["description"]
    if "enabled" in data:
        if data["enabled"] and not endpoint.enabled:
            endpoint.disabled_reason = None
            endpoint.failing_since = None
        elif not data["enabled"] and endpoint.enabled:
            endpoint.disabled_reason = "manual"
        endpoint.enabled = bool(data["enabled"])
    endpoint.updated_at = service.now()
    await session.flush()
    return endpoint


async def delete_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint; its deliveries and attempt log go with it."""
    await session.delete(endpoint)
    await session.flush()


async def rotate_secret(
    session: AsyncSession, service: WebhookService, endpoint: WebhookEndpoint
) -> str:
    """A new secret; the current one keeps signing (as a second signature) for 24 hours."""
    now = service.now()
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
    endpoint.secret = service.seal_secret(endpoint.id, secret)
    endpoint.updated_at = now
    await session.flush()
    return secret
