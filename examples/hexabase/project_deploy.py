"""``client.projects.deploy(...)``: a workspace's project deployed from a source, and its phase.

The seed deploys by name into a workspace, with an environment whose values are literals or
``{"from_secret": "<name>"}``. Here that is:

- the project named ``name`` of the organisation (created when there is none);
- a reference deployment of it (``handlers.services.deployments``: ``deployment.created``, the
  background runner, ``deployment.completed``/``failed``), of ``version`` (``0.0.0`` when the
  source carries no version of its own);
- beside it (:class:`~examples.hexabase.models.DeploySource`) the workspace, the source and
  the environment, secret references kept as references. Each reference must name a secret of
  the workspace (``PUT /v1/workspaces/{id}/secrets/{name}``): 422 naming the variable otherwise.

``phase`` is the seed's word for the deployment's status: ``pending`` → ``building`` (the runner
is rolling it out) → ``running`` (completed) or ``failed``.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from examples.hexabase.models import DeploySource, WorkspaceSecret
from handlers.models import Project
from handlers.models_deployments import Deployment
from handlers.services import deployments as deployment_service
from handlers.services import projects as project_service
from specway.errors import BadRequest, NotFound, UnprocessableEntity
from specway.ids import rfc3339

PHASES = {
    "pending": "pending",
    "in_progress": "building",
    "completed": "running",
    "failed": "failed",
}
DEFAULT_VERSION = "0.0.0"
_SECRET_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


def _is_reference(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"from_secret"}
        and isinstance(value["from_secret"], str)
        and _SECRET_NAME.fullmatch(value["from_secret"]) is not None
    )


async def check_environment(
    session: AsyncSession, organization_id: str | None, workspace_id: str, env: dict[str, Any]
) -> dict[str, Any]:
    """``env`` as stored: literals as given, ``{"from_secret": name}`` kept as the reference
    once the workspace is known to hold that secret (422 naming ``environment.<VAR>`` if not;
    400 naming it for a value of another shape)."""
    for var, value in env.items():
        if not (isinstance(value, str) or _is_reference(value)):
            reason = 'expected a string or {"from_secret": "<secret name>"}'
            raise BadRequest(
                f"Invalid 'environment.{var}': {reason}",
                details=[{"field": f"environment.{var}", "in": "body", "reason": reason}],
            )
    wanted = {k: v["from_secret"] for k, v in env.items() if isinstance(v, dict)}
    if wanted:
        query = select(WorkspaceSecret.name).where(
            WorkspaceSecret.organization_id == organization_id,
            WorkspaceSecret.workspace_id == workspace_id,
            WorkspaceSecret.name.in_(sorted(set(wanted.values()))),
        )
        held = set((await session.execute(query)).scalars())
        missing = {k: name for k, name in wanted.items() if name not in held}
        if missing:
            var, name = sorted(missing.items())[0]
            reason = f"no secret {name!r} in workspace {workspace_id}"
            raise UnprocessableEntity(
                f"Invalid 'environment.{var}': {reason}",
                details=[{"field": f"environment.{var}", "in": "body", "reason": reason}],
            )
    return {
        k: ({"from_secret": v["from_secret"]} if isinstance(v, dict) else v) for k, v in env.items()
    }


async def project_named(
    session: AsyncSession, organization_id: str | None, name: str, created_by: str | None
) -> Project:
    """The organisation's newest project called ``name``, or a new one."""
    query = (
        select(Project)
        .where(Project.organization_id == organization_id, Project.name == name)
        .order_by(Project.created_at.desc())
        .limit(1)
    )
    found: Project | None = (await session.execute(query)).scalar_one_or_none()
    if found is not None:
        return found
    return await project_service.create_project(
        session, organization_id, {"name": name}, created_by=created_by
    )


def deployment_view(deployment: Deployment, source: DeploySource, name: str) -> dict[str, Any]:
    """The reference deployment with the seed's fields and its ``phase``."""
    return {
        **deployment_service.deployment_to_dict(deployment),
        "name": name,
        "workspace_id": source.workspace_id,
        "source": source.source,
        "environment": dict(source.environment or {}),
        "phase": PHASES.get(deployment.status, deployment.status),
    }


async def deployment_status(
    session: AsyncSession, organization_id: str | None, deployment_id: str
) -> dict[str, Any]:
    """``{deployment_id, phase, status, error, updated_at}``; 404 for another organisation's."""
    query = select(Deployment).where(
        Deployment.id == deployment_id, Deployment.organization_id == organization_id
    )
    deployment: Deployment | None = (await session.execute(query)).scalar_one_or_none()
    if deployment is None:
        raise NotFound(
            f"Deployment '{deployment_id}' not found",
            details={"resource_type": "deployment", "resource_id": deployment_id},
        )
    return {
        "deployment_id": deployment.id,
        "project_id": deployment.project_id,
        "phase": PHASES.get(deployment.status, deployment.status),
        "status": deployment.status,
        "error": deployment.error,
        "updated_at": rfc3339(deployment.updated_at),
    }
