"""``Secrets``: a workspace's named secrets, which ``projects.deploy`` environments refer to
with ``{"from_secret": "<name>"}``. Values are write-only, sealed at rest."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from examples.hexabase.models import WorkspaceSecret
from handlers.runtime import current_secret_box
from handlers.services import workspaces as workspace_service
from specway import context
from specway.errors import NotFound
from specway.ids import new_id, rfc3339, utcnow

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _org() -> str | None:
    principal = context.principal()
    return principal.organization_id if principal else None


def _to_dict(secret: WorkspaceSecret) -> dict[str, Any]:
    return {
        "name": secret.name,
        "workspace_id": secret.workspace_id,
        "created_at": rfc3339(secret.created_at),
        "updated_at": rfc3339(secret.updated_at),
    }


async def _find(session: AsyncSession, workspace_id: str, name: str) -> WorkspaceSecret | None:
    query = select(WorkspaceSecret).where(
        WorkspaceSecret.organization_id == _org(),
        WorkspaceSecret.workspace_id == workspace_id,
        WorkspaceSecret.name == name,
    )
    found: WorkspaceSecret | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def put_workspace_secret(
    workspace_id: str, secret_name: str, body: dict[str, Any]
) -> Response:
    box = current_secret_box()
    async with context.database().session() as session, session.begin():
        workspace = await workspace_service.get_workspace(session, _org(), workspace_id)
        secret = await _find(session, workspace.id, secret_name)
        now = utcnow()
        status = 200
        if secret is None:
            status = 201
            secret = WorkspaceSecret(
                id=new_id("sec"),
                organization_id=_org(),
                workspace_id=workspace.id,
                name=secret_name,
                created_at=now,
            )
            session.add(secret)
        secret.value_ciphertext = box.seal(str(body["value"]), secret.id)
        secret.updated_at = now
        await session.flush()
        return _to_dict(secret), status


async def delete_workspace_secret(workspace_id: str, secret_name: str) -> Response:
    async with context.database().session() as session, session.begin():
        workspace = await workspace_service.get_workspace(session, _org(), workspace_id)
        secret = await _find(session, workspace.id, secret_name)
        if secret is None:
            raise NotFound(
                f"Secret '{secret_name}' not found",
                details={"resource_type": "secret", "resource_id": secret_name},
            )
        await session.delete(secret)
    return None, 204
