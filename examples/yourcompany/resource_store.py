"""``ResourceStore``: YourCompany's resources, stored as reference projects of the caller's
organisation.

A resource's ``name`` and ``status`` are the project's own; its ``type`` and ``config`` live in
the project's ``config`` document as ``{"type", "settings"}``. The declaration reads the
project's columns and filters on the document's ``type`` member; :meth:`ResourceStore.present`
shapes a stored row as the API shows it. Only ``resource.created`` is an event of the API.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table

from handlers.models import Project
from specway.storage.database import Write
from specway.storage.store import REQUIRED, Resource, TableStore

PROJECTS = cast(Table, Project.__table__)

RESOURCE = Resource(
    table=PROJECTS,
    name="resource",
    id_prefix="proj",
    keys=("id", "name", "status", "organization", "config", "created_at", "updated_at"),
    columns={"type": PROJECTS.c.config["type"].as_string()},  # a filter, not a key
    defaults={"config": dict},
    fields={"name": REQUIRED, "status": "active", "config": dict},
    sortable=("name", "created_at", "updated_at"),
    tie_ascending=True,
    filters=("status", "type"),
    events=True,
)


class ResourceStore(TableStore):
    """Resources of one database as stored rows (:meth:`present` makes the response)."""

    resource = RESOURCE

    async def create_resource(
        self, organization_id: str, body: dict[str, Any], created_by: str | None
    ) -> dict[str, Any]:
        """A new resource of ``body`` (name, type, optional status and config), shown."""
        fields = {
            "name": body["name"],
            "status": body.get("status", "active"),
            "config": {"type": body["type"], "settings": body.get("config") or {}},
        }
        return present(await self.create(organization_id, fields, created_by=created_by))

    async def change(
        self, organization_id: str, resource_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Set ``name`` / ``status``; ``type`` replaced and ``config`` merged key by key."""
        current = await self.get(organization_id, resource_id)
        fields: dict[str, Any] = {k: body[k] for k in ("name", "status") if k in body}
        if "type" in body or "config" in body:
            shown = present(current)
            fields["config"] = {
                **current["config"],
                "type": body.get("type", shown["type"]),
                "settings": {**shown["config"], **(body.get("config") or {})},
            }
        return present(await self.update_record(current, fields))

    async def write(
        self,
        writes: list[Write],
        change: str,
        record: dict[str, Any],
        *,
        organization_id: str | None = None,
    ) -> None:
        if change == "created":
            await super().write(writes, change, record, organization_id=organization_id)
        else:
            await self.database.write(writes)

    def event(self, record: dict[str, Any]) -> tuple[dict[str, Any], str | None, str | None]:
        shown = present(record)
        return {k: shown[k] for k in ("id", "type", "name")}, record["organization"], None


def present(record: dict[str, Any]) -> dict[str, Any]:
    """A stored row as the API shows a resource."""
    stored = record["config"] or {}
    settings = stored.get("settings")
    return {
        "id": record["id"],
        "name": record["name"],
        "type": stored.get("type"),
        "status": record["status"],
        "config": settings if isinstance(settings, dict) else {},
        "created_at": record["created_at"],
        "updated_at": record["updated_at"],
    }
