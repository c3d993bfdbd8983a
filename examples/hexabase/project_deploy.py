"""``client.projects.deploy(...)``: a workspace's project deployed from a source, and its phase.

The seed deploys by name into a workspace, with an environment whose values are literals or
``{"from_secret": "<name>"}``. Here that is:

- the project named ``name`` of the organisation (created through ``ProjectStore.create``,
  with its ``project.created`` event, when there is none);
- a reference deployment of it (``DeploymentStore.create_in_project``: ``deployment.created``,
  the background runner, ``deployment.completed``/``failed``), of ``version`` (``0.0.0`` when
  the source carries no version of its own);
- beside it, in the deployment's transaction (:class:`~examples.hexabase.models.DeploySource`),
  the workspace, the source and the environment, secret references kept as references. Each
  reference must name a secret of the workspace (``PUT /v1/workspaces/{id}/secrets/{name}``):
  422 naming the variable otherwise.

``phase`` is the seed's word for the deployment's status: ``pending`` → ``building`` (the runner
is rolling it out) → ``running`` (completed) or ``failed``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select

from examples.hexabase.models import DeploySource
from examples.hexabase.workspace_secrets import SecretStore
from handlers.services.deployment_store import DeploymentStore
from handlers.services.projects import PROJECT, PROJECTS, ProjectStore
from specway.errors import BadRequest, UnprocessableEntity
from specway.storage.database import Write
from specway.storage.prepared import Prepared

PHASES = {
    "pending": "pending",
    "in_progress": "building",
    "completed": "running",
    "failed": "failed",
}
DEFAULT_VERSION = "0.0.0"
_SECRET_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


_SOURCES = cast(Table, DeploySource.__table__)
_INSERT_SOURCE = Prepared(insert(_SOURCES))


def _is_reference(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"from_secret"}
        and isinstance(value["from_secret"], str)
        and _SECRET_NAME.fullmatch(value["from_secret"]) is not None
    )


async def check_environment(
    secrets: SecretStore, organization_id: str | None, workspace_id: str, env: dict[str, Any]
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
        held = await secrets.names(organization_id, workspace_id)
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


@functools.cache
def _named(no_org: bool) -> Prepared:
    """The organisation's newest project called ``name``, as the project store shows it."""
    org = PROJECTS.c.organization_id
    query = (
        select(*PROJECT.selected)
        .where(org.is_(None) if no_org else org == bindparam("org"))
        .where(PROJECTS.c.name == bindparam("name"))
        .order_by(PROJECTS.c.created_at.desc(), PROJECTS.c.id.desc())
        .limit(1)
    )
    return PROJECT.records(query)


async def project_named(
    projects: ProjectStore,
    organization_id: str | None,
    name: str,
    created_by: str | None,
    workspace_id: str,
) -> dict[str, Any]:
    """The organisation's newest project called ``name``, or a new one in ``workspace_id``
    (its config names the workspace, as GraphQL's ``workspace { projects }`` reads it); a
    record of the project store."""
    params = {"org": organization_id, "name": name}
    found, _ = await projects.database.records(_named(organization_id is None), params)
    if found:
        return found[0]
    body = {"name": name, "config": {"workspace_id": workspace_id}}
    return await projects.create(organization_id, body, created_by=created_by)


def source_writes(
    organization_id: str | None, workspace_id: str, source: str, environment: dict[str, Any]
) -> Callable[[dict[str, Any]], list[Write]]:
    """``with_writes`` of ``DeploymentStore.create_in_project``: the deploy source's row."""

    def writes(deployment: dict[str, Any]) -> list[Write]:
        row = {
            "deployment_id": deployment["id"],
            "organization_id": organization_id,
            "workspace_id": workspace_id,
            "source": source,
            "environment": environment,
        }
        return [(_INSERT_SOURCE, row)]

    return writes


def deployment_view(
    deployment: dict[str, Any], workspace_id: str, source: str, env: dict[str, Any], name: str
) -> dict[str, Any]:
    """The reference deployment (a record of the deployment store) with the seed's fields and
    its ``phase``."""
    return {
        **deployment,
        "name": name,
        "workspace_id": workspace_id,
        "source": source,
        "environment": dict(env),
        "phase": PHASES.get(deployment["status"], deployment["status"]),
    }


async def deployment_status(
    deployments: DeploymentStore, organization_id: str | None, deployment_id: str
) -> dict[str, Any]:
    """``{deployment_id, phase, status, error, updated_at}``; 404 for another organisation's."""
    deployment = await deployments.get(organization_id, deployment_id)
    return {
        "deployment_id": deployment["id"],
        "project_id": deployment["project_id"],
        "phase": PHASES.get(deployment["status"], deployment["status"]),
        "status": deployment["status"],
        "error": deployment["error"],
        "updated_at": deployment["updated_at"],
    }
