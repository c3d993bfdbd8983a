"""``Deployments``: the reference handlers, plus ``deployment.get_status()``'s phase."""

from __future__ import annotations

from typing import Any

from examples.hexabase import project_deploy
from handlers.deployments import create_deployment, get_deployment, list_deployments
from handlers.services.deployment_store import DeploymentStore
from specway import context

__all__ = [
    "create_deployment",
    "get_deployment",
    "get_deployment_status",
    "list_deployments",
]


async def get_deployment_status(deployment_id: str) -> tuple[Any, int]:
    principal = context.principal()
    org = principal.organization_id if principal else None
    store = DeploymentStore(context.database())
    return await project_deploy.deployment_status(store, org, deployment_id), 200
