"""``SecretStore``: a workspace's named secrets (``PUT/DELETE /v1/workspaces/{id}/secrets/{name}``),
sealed at rest with the app's :class:`~specway.crypto.SecretBox`, the row id as associated data.

Values are write-only: a response shows a secret's name, workspace and timestamps, never its
value. ``projects.deploy`` environments refer to secrets by name (``{"from_secret": "api-key"}``,
:mod:`examples.hexabase.project_deploy` checks them with :meth:`SecretStore.names`).
Each method is one or two prebuilt statements run by ``Database.rows`` / ``write``.
"""

from __future__ import annotations

import functools
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from examples.hexabase.models import WorkspaceSecret
from specway.crypto import SecretBox
from specway.errors import NotFound
from specway.ids import new_id, rfc3339, utcnow
from specway.storage.database import Database
from specway.storage.prepared import Prepared
from specway.storage.sqltime import rfc3339_text

_SECRETS = cast(Table, WorkspaceSecret.__table__)
_INSERT = Prepared(insert(_SECRETS))
_UPDATE = Prepared(update(_SECRETS).where(_SECRETS.c.id == bindparam("row_id")))
_DELETE = Prepared(delete(_SECRETS).where(_SECRETS.c.id == bindparam("row_id")))


def _workspace(no_org: bool) -> list[Any]:
    org = _SECRETS.c.organization_id
    return [
        org.is_(None) if no_org else org == bindparam("org"),
        _SECRETS.c.workspace_id == bindparam("workspace_id"),
    ]


@functools.cache
def _find(no_org: bool) -> Prepared:
    """The workspace's secret called ``name``: its id and creation time (RFC 3339 text)."""
    query = select(_SECRETS.c.id, rfc3339_text(_SECRETS.c.created_at).label("created_at"))
    return Prepared(query.where(*_workspace(no_org), _SECRETS.c.name == bindparam("name")))


@functools.cache
def _names(no_org: bool) -> Prepared:
    return Prepared(select(_SECRETS.c.name).where(*_workspace(no_org)))


class SecretStore:
    """The workspace secrets of one database; ``box`` seals the values written."""

    def __init__(self, database: Database, box: SecretBox | None = None) -> None:
        self.database = database
        self.box = box

    def _params(self, organization_id: str | None, workspace_id: str) -> dict[str, Any]:
        return {"org": organization_id, "workspace_id": workspace_id}

    async def put(
        self, organization_id: str | None, workspace_id: str, name: str, value: str
    ) -> tuple[dict[str, Any], bool]:
        """Set the secret (of a workspace known to be the organisation's): ``(the secret as a
        response shows it, whether it was created)``. Two first puts of one name at once: the
        unique ``(workspace_id, name)`` refuses the second, which then replaces the value."""
        try:
            return await self._put(organization_id, workspace_id, name, value)
        except IntegrityError:
            return await self._put(organization_id, workspace_id, name, value)

    async def _put(
        self, organization_id: str | None, workspace_id: str, name: str, value: str
    ) -> tuple[dict[str, Any], bool]:
        if self.box is None:
            raise ValueError("SecretStore.put needs the app's SecretBox")
        params = {**self._params(organization_id, workspace_id), "name": name}
        found = await self.database.rows(_find(organization_id is None), params)
        now = utcnow()
        stamp = rfc3339(now)
        if found:
            secret_id, created_at = found[0].id, found[0].created_at
            values = {"row_id": secret_id, "updated_at": now}
            values["value_ciphertext"] = self.box.seal(value, secret_id)
            await self.database.write([(_UPDATE, values)])
        else:
            secret_id, created_at = new_id("sec"), stamp
            row = {
                "id": secret_id,
                "organization_id": organization_id,
                "workspace_id": workspace_id,
                "name": name,
                "value_ciphertext": self.box.seal(value, secret_id),
                "created_at": now,
                "updated_at": now,
            }
            await self.database.write([(_INSERT, row)])
        secret = {
            "name": name,
            "workspace_id": workspace_id,
            "created_at": created_at,
            "updated_at": stamp,
        }
        return secret, not found

    async def delete(self, organization_id: str | None, workspace_id: str, name: str) -> None:
        """Delete the secret; ``NotFound`` naming it when the workspace holds none so named."""
        params = {**self._params(organization_id, workspace_id), "name": name}
        found = await self.database.rows(_find(organization_id is None), params)
        if not found:
            raise NotFound(
                f"Secret '{name}' not found",
                details={"resource_type": "secret", "resource_id": name},
            )
        await self.database.write([(_DELETE, {"row_id": found[0].id})])

    async def names(self, organization_id: str | None, workspace_id: str) -> set[str]:
        """The names of the workspace's secrets."""
        rows = await self.database.rows(
            _names(organization_id is None), self._params(organization_id, workspace_id)
        )
        return {row.name for row in rows}
