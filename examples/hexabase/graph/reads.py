"""What the GraphQL fields read, one SQL statement per batch of keys (:mod:`.batch`).

Every statement is filtered by the caller's organisation. A workspace's projects are the
organisation's projects whose config names it (``config.workspace_id``), oldest first; a
project's deployments are its newest ``last`` ones, newest first, all projects of the batch in
one statement (``row_number()`` per project).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, func, select

from examples.hexabase.graph.batch import Batch
from handlers.models import Project
from handlers.models_deployments import Deployment
from handlers.models_platform import Workspace
from handlers.services.queries import owned_by
from specway.ids import rfc3339
from specway.storage.database import Database

Row = dict[str, Any]
T = TypeVar("T")
# A config without `replicas` runs one instance (ProjectConfig.replicas' default in the spec).
DEFAULT_REPLICAS = 1


def workspace_row(row: Any) -> Row:
    return {"id": row.id, "name": row.name, "description": row.description, "region": row.region}


def project_row(row: Any) -> Row:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "status": row.status,
    }


def deployment_row(row: Any) -> Row:
    config: dict[str, Any] = row.config or {}
    resources = config.get("resources")
    return {
        "id": row.id,
        "version": row.version,
        "status": row.status,
        "replicas": config.get("replicas") or DEFAULT_REPLICAS,
        "resources": dict(resources) if isinstance(resources, dict) else None,
        "error": row.error,
        "createdAt": rfc3339(row.created_at),
        "finishedAt": rfc3339(row.finished_at),
    }


class Reads:
    """The batches of one request, for the caller's organisation (``None``: no organisation)."""

    def __init__(self, database: Database, organization_id: str | None) -> None:
        self.database = database
        self.organization_id = organization_id
        self.statements = 0
        self.workspaces: Batch[str, Row | None] = Batch(self._workspaces, None)
        self.projects: Batch[str, list[Row]] = Batch(self._projects, [])
        self._deployments: dict[int, Batch[str, list[Row]]] = {}

    def deployments(self, last: int) -> Batch[str, list[Row]]:
        """The batch of deployments lists ``last`` long (a query may ask for several lengths)."""
        batch = self._deployments.get(last)
        if batch is None:
            batch = self._deployments[last] = Batch(lambda ids: self._deployments_of(ids, last), [])
        return batch

    async def _rows(self, query: Select[Any]) -> Sequence[Any]:
        self.statements += 1

        def work(connection: Connection) -> Sequence[Any]:
            return connection.execute(query).all()

        return await self.database.read(work)

    async def _workspaces(self, ids: list[str]) -> dict[str, Row | None]:
        query = select(Workspace.id, Workspace.name, Workspace.description, Workspace.region).where(
            owned_by(Workspace.organization_id, self.organization_id), Workspace.id.in_(ids)
        )
        return {row.id: workspace_row(row) for row in await self._rows(query)}

    async def _projects(self, workspace_ids: list[str]) -> dict[str, list[Row]]:
        workspace = Project.config["workspace_id"].as_string()
        query = (
            select(
                workspace.label("workspace_id"),
                Project.id,
                Project.name,
                Project.description,
                Project.status,
            )
            .where(
                owned_by(Project.organization_id, self.organization_id),
                workspace.in_(workspace_ids),
            )
            .order_by(Project.created_at, Project.id)
        )
        return _grouped(await self._rows(query), "workspace_id", project_row)

    async def _deployments_of(self, project_ids: list[str], last: int) -> dict[str, list[Row]]:
        newest = (
            func.row_number()
            .over(partition_by=Deployment.project_id, order_by=Deployment.sequence.desc())
            .label("newest")
        )
        ranked = (
            select(
                Deployment.project_id,
                Deployment.sequence,
                Deployment.id,
                Deployment.version,
                Deployment.status,
                Deployment.config,
                Deployment.error,
                Deployment.created_at,
                Deployment.finished_at,
                newest,
            )
            .where(
                owned_by(Deployment.organization_id, self.organization_id),
                Deployment.project_id.in_(project_ids),
            )
            .subquery()
        )
        query = (
            select(ranked)
            .where(ranked.c.newest <= last)
            .order_by(ranked.c.project_id, ranked.c.sequence.desc())
        )
        return _grouped(await self._rows(query), "project_id", deployment_row)


def _grouped(rows: Sequence[Any], key: str, view: Callable[[Any], Row]) -> dict[str, list[Row]]:
    groups: defaultdict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, key)].append(view(row))
    return dict(groups)
