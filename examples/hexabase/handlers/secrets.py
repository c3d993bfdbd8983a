"""``Secrets``: a workspace's named secrets, which ``projects.deploy`` environments refer to
with ``{"from_secret": "<name>"}``. Values are write-only, sealed at rest
(:class:`~examples.hexabase.workspace_secrets.SecretStore`)."""

from __future__ import annotations

from typing import Any

from examples.hexabase.workspace_secrets import SecretStore
from handlers.runtime import current_secret_box
from handlers.services.workspaces import WorkspaceStore
from specway import context

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _org() -> str | None:
    principal = context.principal()
    return principal.organization_id if principal else None


async def put_workspace_secret(
    workspace_id: str, secret_name: str, body: dict[str, Any]
) -> Response:
    database = context.database()
    workspace = await WorkspaceStore(database).get(_org(), workspace_id)
    store = SecretStore(database, current_secret_box())
    secret, created = await store.put(_org(), workspace["id"], secret_name, str(body["value"]))
    return secret, 201 if created else 200


async def delete_workspace_secret(workspace_id: str, secret_name: str) -> Response:
    database = context.database()
    workspace = await WorkspaceStore(database).get(_org(), workspace_id)
    await SecretStore(database).delete(_org(), workspace["id"], secret_name)
    return None, 204
