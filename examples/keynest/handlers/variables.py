"""``Variables``: the reference handlers, with the creator's name on new variables."""

from __future__ import annotations

from typing import Any

from examples.keynest.handlers.creators import with_creator_name
from handlers import variables as reference
from handlers.models_platform import Variable
from handlers.variables import delete_variable, list_environment_variables, update_variable

__all__ = ["create_variable", "delete_variable", "list_environment_variables", "update_variable"]

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


async def create_variable(body: dict[str, Any]) -> Response:
    return await with_creator_name(Variable, await reference.create_variable(body))
