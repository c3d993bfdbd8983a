"""``EndpointStore``: an organisation's webhook endpoints on the store path.

Prebuilt statements (:class:`~specway.storage.prepared.Prepared`) run by ``Database.records``
/ ``write``: a get is one statement, a page and its total one, a create, update, delete or
secret rotation one write after the get. Responses are the API's dicts
(:func:`~specway.plugins.webhooks.subscriptions.endpoint_to_dict`'s shape), built from the
fetched rows. Secrets stay sealed at rest and are shown only on create and rotate; URLs pass
the SSRF guard on save. Deleting an endpoint deletes its deliveries and their attempt log (the
foreign keys' ``ON DELETE CASCADE``).
"""

from __future__ import annotations

import functools
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from specway.errors import NotFound
from specway.ids import new_id, rfc3339
from specway.pagination import PageRequest
from specway.plugins.webhooks.models import WebhookEndpoint
from specway.plugins.webhooks.service import ROTATION_OVERLAP, WebhookService
from specway.plugins.webhooks.signing import new_secret
from specway.plugins.webhooks.subscriptions import check_url
from specway.storage.database import Database
from specway.storage.prepared import Prepared
from specway.storage.sqltime import rfc3339_text
from specway.storage.store import read_page

ENDPOINTS = cast(Table, WebhookEndpoint.__table__)
_e = ENDPOINTS.c
RECORD = (
    "id",
    "url",
    "description",
    "events",
    "enabled",
    "disabled_reason",
    "project_id",
    "organization",
    "failing_since",
    "previous_secret_expires_at",
    "created_at",
    "updated_at",
)
_SELECTED = (
    _e.id,
    _e.url,
    _e.description,
    _e.events,
    _e.enabled,
    _e.disabled_reason,
    _e.project_id,
    rfc3339_text(_e.failing_since).label("failing_since"),
    rfc3339_text(_e.previous_secret_expires_at).label("previous_secret_expires_at"),
    rfc3339_text(_e.created_at).label("created_at"),
    rfc3339_text(_e.updated_at).label("updated_at"),
)


def _records(statement: Any) -> Prepared:
    return Prepared(
        statement, record=RECORD, defaults={"events": list}, bound={"organization": "org"}
    )


def _scoped(no_org: bool) -> list[ColumnElement[bool]]:
    column = _e.organization_id
    return [column.is_(None) if no_org else column == bindparam("org")]


@functools.cache
def _get(no_org: bool) -> Prepared:
    """One endpoint; after the record, its sealed secret."""
    where = [*_scoped(no_org), _e.id == bindparam("endpoint_id")]
    return _records(select(*_SELECTED, _e.secret).where(*where))


@functools.cache
def _page(no_org: bool, project: bool, enabled: bool) -> tuple[Prepared, Prepared]:
    """``(count, page)``: newest first, the total riding on every row."""
    where = _scoped(no_org)
    if project:
        where.append(_e.project_id == bindparam("project_id"))
    if enabled:
        where.append(_e.enabled == bindparam("enabled"))
    count = select(func.count()).select_from(ENDPOINTS).where(*where)
    page = (
        select(*_SELECTED, count.scalar_subquery().label("total"))
        .where(*where)
        .order_by(_e.created_at.desc(), _e.id)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )
    return Prepared(count), _records(page)


_INSERT = Prepared(insert(ENDPOINTS))
_CHANGE = Prepared(update(ENDPOINTS).where(_e.id == bindparam("endpoint_id")))
_DELETE = Prepared(delete(ENDPOINTS).where(_e.id == bindparam("endpoint_id")))


class EndpointStore:
    """Webhook endpoints of one database: get, page (+ total), create, update, delete, rotate."""

    def __init__(self, database: Database, service: WebhookService) -> None:
        self.database = database
        self.service = service

    async def get(self, organization_id: str | None, endpoint_id: str) -> dict[str, Any]:
        """The endpoint as the API shows it; 404 outside ``organization_id``."""
        return (await self._current(organization_id, endpoint_id))[0]

    async def _current(
        self, organization_id: str | None, endpoint_id: str
    ) -> tuple[dict[str, Any], str]:
        params = {"org": organization_id, "endpoint_id": endpoint_id}
        records, rest = await self.database.records(_get(organization_id is None), params)
        if not records:
            raise NotFound(
                f"Webhook {endpoint_id} not found",
                details={"resource_type": "webhook", "resource_id": endpoint_id},
            )
        return records[0], rest[0]

    async def page(
        self,
        organization_id: str | None,
        page: PageRequest,
        *,
        project_id: str | None = None,
        enabled: bool | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """``(items, total)``: newest first, optionally one project's or only (not) enabled."""
        count, query = _page(organization_id is None, project_id is not None, enabled is not None)
        params: dict[str, Any] = {
            "org": organization_id,
            "offset": page.offset,
            "limit": page.per_page,
        }
        if project_id is not None:
            params["project_id"] = project_id
        if enabled is not None:
            params["enabled"] = enabled
        return await read_page(self.database, query, count, params)

    async def create(
        self,
        organization_id: str | None,
        data: dict[str, Any],
        *,
        project_id: str | None = None,
    ) -> dict[str, Any]:
        """A new endpoint, with its secret (the only time it is returned)."""
        service = self.service
        events = service.catalogue.check_filters(list(data["events"]))
        url = await check_url(service, data["url"])
        now = service.now()
        endpoint_id = new_id("wh")
        secret = new_secret()
        values = {
            "id": endpoint_id,
            "organization_id": organization_id,
            "project_id": project_id,
            "url": url,
            "description": data.get("description", ""),
            "events": events,
            "enabled": data.get("enabled", True),
            "secret": service.seal_secret(endpoint_id, secret),
            "created_at": now,
            "updated_at": now,
        }
        await self.database.write([(_INSERT, values)])
        stamp = rfc3339(now)
        return {
            "id": endpoint_id,
            "url": url,
            "description": values["description"],
            "events": list(events),
            "enabled": values["enabled"],
            "disabled_reason": None,
            "project_id": project_id,
            "organization": organization_id,
            "failing_since": None,
            "previous_secret_expires_at": None,
            "created_at": stamp,
            "updated_at": stamp,
            "secret": secret,
        }

    async def update(
        self, organization_id: str | None, endpoint_id: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Change the given fields; enabling again clears the disabled reason and the failure
        clock, disabling by hand records ``manual``."""
        current = await self.get(organization_id, endpoint_id)
        service = self.service
        values: dict[str, Any] = {}
        if "events" in data:
            values["events"] = service.catalogue.check_filters(list(data["events"]))
        if "url" in data:
            values["url"] = await check_url(service, data["url"])
        if "description" in data:
            values["description"] = data["description"]
        if "enabled" in data:
            if data["enabled"] and not current["enabled"]:
                values["disabled_reason"] = None
                values["failing_since"] = None
            elif not data["enabled"] and current["enabled"]:
                values["disabled_reason"] = "manual"
            values["enabled"] = bool(data["enabled"])
        now = service.now()
        await self.database.write(
            [(_CHANGE, {**values, "updated_at": now, "endpoint_id": endpoint_id})]
        )
        return {**current, **values, "updated_at": rfc3339(now)}

    async def delete(self, organization_id: str | None, endpoint_id: str) -> None:
        """Delete the endpoint; its deliveries and attempt log go with it."""
        await self.get(organization_id, endpoint_id)
        await self.database.write([(_DELETE, {"endpoint_id": endpoint_id})])

    async def rotate_secret(self, organization_id: str | None, endpoint_id: str) -> dict[str, Any]:
        """A new secret; the current one keeps signing (as a second signature) for 24 hours.
        The endpoint with the new secret."""
        current, sealed = await self._current(organization_id, endpoint_id)
        service = self.service
        now = service.now()
        secret = new_secret()
        expires = now + ROTATION_OVERLAP
        change = {
            "previous_secret": sealed,
            "previous_secret_expires_at": expires,
            "secret": service.seal_secret(endpoint_id, secret),
            "updated_at": now,
            "endpoint_id": endpoint_id,
        }
        await self.database.write([(_CHANGE, change)])
        return {
            **current,
            "previous_secret_expires_at": rfc3339(expires),
            "updated_at": rfc3339(now),
            "secret": secret,
        }
