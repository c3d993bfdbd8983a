"""``Deployments``: the reference handlers."""

from __future__ import annotations

from handlers.deployments import create_deployment, get_deployment, list_deployments

__all__ = ["create_deployment", "get_deployment", "list_deployments"]
