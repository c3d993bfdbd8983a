"""``Environments``: the reference handlers (the view already has KeyNest's fields)."""

from __future__ import annotations

from handlers.environments import (
    create_environment,
    export_environment,
    import_environment,
    list_environments,
    list_project_environments,
)

__all__ = [
    "create_environment",
    "export_environment",
    "import_environment",
    "list_environments",
    "list_project_environments",
]
