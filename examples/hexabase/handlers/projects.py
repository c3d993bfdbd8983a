"""``Projects``: the reference handlers (``PUT`` merges like the reference ``PATCH``)."""

from __future__ import annotations

from handlers.projects import (
    create_project,
    delete_project,
    get_project,
    list_projects,
    update_project,
)

__all__ = ["create_project", "delete_project", "get_project", "list_projects", "update_project"]
