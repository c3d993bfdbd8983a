"""``Webhooks``: the reference handlers, plus the seed's ``workspace_id`` on registration.

Hexabase registers an endpoint for a workspace (``workspace_id``); the workspace must be one of
the caller's organisation (``RESOURCE_NOT_FOUND`` otherwise). Deliveries are the organisation's
events that match ``events``, as in the reference API.
"""

from __future__ import annotations

from typing import Any

from handlers.runtime import current_actor
from handlers.services import workspaces as workspace_service
from specway import context
from specway.parts.webhooks import handlers as reference

get_webhook = reference.get_webhook
delete_webhook = reference.delete_webhook
list_webhooks = reference.list_webhooks

__all__ = ["create_webhook", "delete_webhook", "get_webhook", "list_webhooks"]


async def create_webhook(body: dict[str, Any]) -> reference.Response:
    fields = dict(body)
    workspace_id = fields.pop("workspace_id", None)
    if workspace_id is not None:
        # RESOURCE_NOT_FOUND for a workspace of another organisation (or none).
        store = workspace_service.WorkspaceStore(context.database())
        await store.get(current_actor().organization_id, str(workspace_id))
    return await reference.create_webhook(fields)
