"""``Workspaces``: the reference handlers (``PUT`` merges like the reference ``PATCH``)."""

from __future__ import annotations

from handlers.workspaces import (
    create_workspace,
    delete_workspace,
    get_workspace,
    list_workspaces,
    update_workspace,
)

__all__ = [
    "create_workspace",
    "delete_workspace",
    "get_workspace",
    "list_workspaces",
    "update_workspace",
]
