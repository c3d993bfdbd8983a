"""Handlers of the ``Configuration`` tag: a project's active config, read and merge-patched."""

from __future__ import annotations

from typing import Any

from handlers.services.configuration import config_schema, merge_patch, validated_config
from handlers.services.projects import ProjectStore
from specway import context
from specway.errors import BadRequest

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _org() -> str | None:
    principal = context.principal()
    return principal.organization_id if principal else None


async def get_project_config(project_id: str) -> Response:
    project = await ProjectStore(context.database()).get(_org(), project_id)
    return dict(project["config"] or {}), 200


async def update_project_config(project_id: str, body: Any) -> Response:
    """Apply ``body`` as a JSON Merge Patch (RFC 7396) and validate the result."""
    if not isinstance(body, dict):
        raise BadRequest(
            "The patch must be a JSON object",
            details=[{"field": "", "in": "body", "reason": "not an object"}],
        )
    schema = config_schema(context.app_state().spec)
    store = ProjectStore(context.database())
    project = await store.get(_org(), project_id)
    config = validated_config(merge_patch(project["config"] or {}, body), schema)
    await store.set_config(project_id, config)
    return config, 200
