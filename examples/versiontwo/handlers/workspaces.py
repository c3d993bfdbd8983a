"""``Workspaces``: the reference handlers."""

from __future__ import annotations

from handlers.workspaces import create_workspace, get_workspace, list_workspaces

__all__ = ["create_workspace", "get_workspace", "list_workspaces"]
