"""Handlers of the ``Deployments`` tag: list, create, get and roll back a project's deployments."""

from __future__ import annotations

from typing import Any, cast

from handlers.deployments_runtime import SERVICE
from handlers.services import deployments as service
from handlers.services.deployment_runner import DeploymentRunner
from handlers.services.projects import get_project
from specway import context
from specway.pagination import list_response, page_request

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _org() -> str | None:
    principal = context.principal()
    return principal.organization_id if principal else None


def _actor() -> str | None:
    principal = context.principal()
    return principal.id if principal else None


def _config_schema() -> dict[str, Any]:
    spec = context.app_state().spec
    return cast(dict[str, Any], spec.resolve({"$ref": "#/components/schemas/ProjectConfig"}))


def _runner() -> DeploymentRunner:
    return cast(DeploymentRunner, context.app_state().service(SERVICE))


def _location(project_id: str, deployment_id: str) -> str:
    return f"/v1/projects/{project_id}/deployments/{deployment_id}"


async def list_deployments(
    project_id: str,
    page: int | None = None,
    per_page: int | None = None,
    sort: str = "created_at",
    order: str = "desc",
    status: str | None = None,
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    async with context.database().session() as session:
        project = await get_project(session, _org(), project_id)
        rows, total = await service.list_deployments(
            session,
            project.organization_id,
            project.id,
            request,
            status=status,
            sort=sort,
            order=order,
        )
        items = [service.deployment_to_dict(d) for d in rows]
    query = {"sort": sort, "order": order, "status": status}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def create_deployment(project_id: str, body: dict[str, Any]) -> Response:
    async with context.database().session() as session, session.begin():
        project = await get_project(session, _org(), project_id)
        deployment = await service.create_deployment(
            session,
            project,
            version=str(body["version"]),
            config_changes=body.get("config"),
            config_schema=_config_schema(),
            created_by=_actor(),
        )
        data = service.deployment_to_dict(deployment)
    _runner().submit(data["id"])
    return data, 201, {"Location": _location(project_id, data["id"])}


async def get_deployment(project_id: str, deployment_id: str) -> Response:
    async with context.database().session() as session:
        project = await get_project(session, _org(), project_id)
        deployment = await service.get_deployment(
            session, project.organization_id, project.id, deployment_id
        )
        return service.deployment_to_dict(deployment), 200


async def rollback_deployment(project_id: str, deployment_id: str) -> Response:
    async with context.database().session() as session, session.begin():
        project = await get_project(session, _org(), project_id)
        deployment = await service.get_deployment(
            session, project.organization_id, project.id, deployment_id
        )
        target = await service.rollback_target(session, deployment)
        created = await service.create_deployment(
            session,
            project,
            version=target.version,
            config_changes=dict(target.config or {}),
            config_schema=_config_schema(),
            created_by=_actor(),
            rollback_of=deployment.id,
            replace_config=True,
        )
        data = service.deployment_to_dict(created)
    _runner().submit(data["id"])
    return data, 201, {"Location": _location(project_id, data["id"])}
