"""``Projects``: the reference handlers (``PUT`` merges like the reference ``PATCH``), plus the
seed's ``client.projects.deploy(...)`` (:mod:`examples.hexabase.project_deploy`)."""

from __future__ import annotations

from typing import Any, cast

from examples.hexabase import project_deploy
from examples.hexabase.models import DeploySource
from handlers.deployments_runtime import SERVICE
from handlers.projects import (
    create_project,
    delete_project,
    get_project,
    list_projects,
    update_project,
)
from handlers.services import deployments as deployment_service
from handlers.services import workspaces as workspace_service
from handlers.services.deployment_runner import DeploymentRunner
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
    spec = context.app_state().spec
    config_schema = cast(
        dict[str, Any], spec.resolve({"$ref": "#/components/schemas/ProjectConfig"})
    )
    async with context.database().session() as session, session.begin():
        workspace = await workspace_service.get_workspace(session, org, str(body["workspace_id"]))
        environment = await project_deploy.check_environment(
            session, org, workspace.id, dict(body.get("environment") or {})
        )
        project = await project_deploy.project_named(session, org, str(body["name"]), actor)
        deployment = await deployment_service.create_deployment(
            session,
            project,
            version=str(body.get("version") or project_deploy.DEFAULT_VERSION),
            config_changes=None,
            config_schema=config_schema,
            created_by=actor,
        )
        source = DeploySource(
            deployment_id=deployment.id,
            organization_id=org,
            workspace_id=workspace.id,
            source=str(body["source"]),
            environment=environment,
        )
        session.add(source)
        await session.flush()
        data = project_deploy.deployment_view(deployment, source, project.name)
    cast(DeploymentRunner, context.app_state().service(SERVICE)).submit(data["id"])
    return data, 201, {"Location": f"/v1/deployments/{data['id']}/status"}
