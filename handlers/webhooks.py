"""The reference API's project webhooks: ``POST /v1/projects/{project_id}/webhooks``.

The webhook endpoints themselves are the framework's ``webhooks`` part
(:mod:`specway.parts.webhooks`); this checks the project, then creates an endpoint scoped to it.
"""

from __future__ import annotations

from typing import Any

from handlers.services.projects import ProjectStore
from specway import context
from specway.parts.webhooks.handlers import create_endpoint_for, organization

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


async def create_project_webhook(project_id: str, body: dict[str, Any]) -> Response:
    project = await ProjectStore(context.database()).get(organization(), project_id)
    data = await create_endpoint_for(project["id"], body)
    base = context.path().rsplit("/projects/", 1)[0]
    return data, 201, {"Location": f"{base}/webhooks/{data['id']}"}
