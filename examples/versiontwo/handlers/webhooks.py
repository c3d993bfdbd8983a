"""``Webhooks``: the reference handler for project webhooks.

VersionTwo documents only the creation of a project webhook, so the reference's ``Location``
(``/webhooks/{id}``, a route VersionTwo does not have) is left out.
"""

from __future__ import annotations

from typing import Any

from handlers import webhooks as reference


async def create_project_webhook(project_id: str, body: dict[str, Any]) -> tuple[Any, int]:
    result = await reference.create_project_webhook(project_id, body)
    return result[0], result[1]


__all__ = ["create_project_webhook"]
