"""Environments (seed 004): a project's development, staging, production or testing settings.

Names are unique per project (409). Every read joins the project for ``project_name`` and counts
the environment's variables, so a page (and its total) is one statement, not one per row.
:class:`EnvironmentStore` is what the handlers (the reference API's and examples/keynest's)
use.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func, select

from handlers.models import Project
from handlers.models_platform import Environment, Variable
from handlers.runtime import Actor
from specway.errors import Conflict
from specway.storage.store import REQUIRED, Resource, TableStore

SORTABLE = ("name", "environment_type", "created_at", "updated_at")


def _duplicate(name: str) -> Conflict:
    return Conflict(
        f"An environment named {name!r} already exists in this project",
        details={"field": "name", "reason": "duplicate"},
    )


# --- The store: the one API the handlers use ------------------------------------------------

_ENVIRONMENTS: Table = Environment.__table__  # type: ignore[assignment]
_PROJECTS: Table = Project.__table__  # type: ignore[assignment]
_VARIABLES: Table = Variable.__table__  # type: ignore[assignment]

ENVIRONMENT = Resource(
    table=_ENVIRONMENTS,
    name="environment",
    id_prefix="env",
    keys=(
        "id",
        "name",
        "project",
        "project_name",
        "environment_type",
        "description",
        "organization",
        "created_at",
        "updated_at",
        "created_by_name",
        "variable_count",
    ),
    columns={
        "project": _ENVIRONMENTS.c.project_id,
        "project_name": _PROJECTS.c.name,
        "variable_count": select(func.count(_VARIABLES.c.id))
        .where(_VARIABLES.c.environment_id == _ENVIRONMENTS.c.id)
        .correlate(_ENVIRONMENTS)
        .scalar_subquery(),
    },
    joins=((_PROJECTS, _PROJECTS.c.id == _ENVIRONMENTS.c.project_id),),
    fields={"name": REQUIRED, "environment_type": "development", "description": ""},
    sortable=SORTABLE,
    tie_ascending=True,
    search=("name", "description"),
    filters=("project_id", "environment_type"),
)


class EnvironmentStore(TableStore):
    """Environments of one database, as the response shows them (``project_name`` and
    ``variable_count`` included); a name taken in the project is a 409."""

    resource = ENVIRONMENT

    async def create_in(
        self, actor: Actor, project: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, Any]:
        """A new environment in ``project`` (a record the project store returned)."""
        return await self.create(
            actor.organization_id,
            data,
            extra={"project_name": project["name"], "variable_count": 0},
            project_id=project["id"],
            created_by=actor.id,
            created_by_name=actor.name,
        )

    def conflict(self, record: dict[str, Any]) -> Conflict:
        # The unique (project, name) key: a duplicate, created or renamed to, is a 409.
        return _duplicate(record["name"])
