"""Handlers of the ``Deployments`` tag: list, create, get and roll back a project's deployments,
each a few calls of the project and deployment stores."""

from __future__ import annotations

from typing import Any, cast

from handlers.deployments_runtime import SERVICE
from handlers.services.configuration import config_schema
from handlers.services.deployment_runner import DeploymentRunner
from handlers.services.deployment_store import DeploymentStore
from handlers.services.projects import ProjectStore
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
    return config_schema(context.app_state().spec)


def _store() -> DeploymentStore:
    return DeploymentStore(context.database(), context.app_state().services.get("webhooks"))


async def _project(project_id: str) -> dict[str, Any]:
    """The project as its store shows it; 404 outside the caller's organisation."""
    return await ProjectStore(context.database()).get(_org(), project_id)


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
    project = await _project(project_id)
    items, total = await _store().page_in_project(
        project["organization"], project["id"], request, status=status, sort=sort, order=order
    )
    query = {"sort": sort, "order": order, "status": status}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def create_deployment(project_id: str, body: dict[str, Any]) -> Response:
    project = await _project(project_id)
    data = await _store().create_in_project(
        project,
        version=str(body["version"]),
        config_changes=body.get("config"),
        config_schema=_config_schema(),
        created_by=_actor(),
    )
    _runner().submit(data["id"])
    return data, 201, {"Location": _location(project_id, data["id"])}


async def get_deployment(project_id: str, deployment_id: str) -> Response:
    project = await _project(project_id)
    store = _store()
    return await store.get_in_project(project["organization"], project["id"], deployment_id), 200


async def rollback_deployment(project_id: str, deployment_id: str) -> Response:
    project = await _project(project_id)
    store = _store()
    deployment = await store.get_in_project(project["organization"], project["id"], deployment_id)
    target = await store.rollback_target(deployment)
    data = await store.create_in_project(
        project,
        version=target["version"],
        config_changes=dict(target["config"] or {}),
        config_schema=_config_schema(),
        created_by=_actor(),
        rollback_of=deployment["id"],
        replace_config=True,
    )
    _runner().submit(data["id"])
    return data, 201, {"Location": _location(project_id, data["id"])}
