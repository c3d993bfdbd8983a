"""``Variables``: the reference handlers."""

from __future__ import annotations

from handlers.variables import (
    create_variable,
    delete_variable,
    list_environment_variables,
    update_variable,
)

__all__ = ["create_variable", "delete_variable", "list_environment_variables", "update_variable"]
