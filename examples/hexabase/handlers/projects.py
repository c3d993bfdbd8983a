"""``Projects``: the reference handlers (``PUT`` merges like the reference ``PATCH``), plus the
seed's ``client.projects.deploy(...)`` (:mod:`examples.hexabase.project_deploy`)."""

from __future__ import annotations

from typing import Any, cast

from examples.hexabase import project_deploy
from examples.hexabase.workspace_secrets import SecretStore
from handlers.deployments_runtime import SERVICE
from handlers.projects import (
    create_project,
    delete_project,
    get_project,
    list_projects,
    update_project,
)
from handlers.services.configuration import config_schema
from handlers.services.deployment_runner import DeploymentRunner
from handlers.services.deployment_store import DeploymentStore
from handlers.services.deployments import check_version
from handlers.services.projects import ProjectStore
from handlers.services.workspaces import WorkspaceStore
from specway import context

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]

__all__ = [
    "create_project",
    "delete_project",
    "deploy_project",
    "get_project",
    "list_projects",
    "update_project",
]


async def deploy_project(body: dict[str, Any]) -> Response:
    principal = context.principal()
    org = principal.organization_id if principal else None
    actor = principal.id if principal else None
    state = context.app_state()
    project_config = config_schema(state.spec)
    database = context.database()
    webhooks = state.services.get("webhooks")
    version = check_version(str(body.get("version") or project_deploy.DEFAULT_VERSION))
    workspace = await WorkspaceStore(database).get(org, str(body["workspace_id"]))
    environment = await project_deploy.check_environment(
        SecretStore(database), org, workspace["id"], dict(body.get("environment") or {})
    )
    projects = ProjectStore(database, webhooks)
    project = await project_deploy.project_named(
        projects, org, str(body["name"]), actor, workspace["id"]
    )
    source = str(body["source"])
    deployment = await DeploymentStore(database, webhooks).create_in_project(
        project,
        version=version,
        config_changes=None,
        config_schema=project_config,
        created_by=actor,
        with_writes=project_deploy.source_writes(org, workspace["id"], source, environment),
    )
    data = project_deploy.deployment_view(
        deployment, workspace["id"], source, environment, project["name"]
    )
    cast(DeploymentRunner, state.service(SERVICE)).submit(data["id"])
    return data, 201, {"Location": f"/v1/deployments/{data['id']}/status"}
