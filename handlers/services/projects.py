"""Projects: the store the handlers use (:class:`ProjectStore`: get, page + total, create,
update, delete, each result the response's dict) and its declaration, and KeyNest's shape of
a project (:class:`ProjectSummaryStore`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update

from handlers.models import Project
from handlers.models_platform import Environment
from handlers.services.queries import user_name
from specway.ids import utcnow
from specway.plugins.auth.models import Organization
from specway.storage.prepared import Prepared
from specway.storage.store import REQUIRED, Resource, TableStore

PROJECTS = cast(Table, Project.__table__)
_ENVIRONMENTS = cast(Table, Environment.__table__)
_ORGANIZATIONS = cast(Table, Organization.__table__)

# What a response shows of a project. Lists are sorted by name or a timestamp, ties broken by
# id in the same direction: one index, walked either way, serves both orders of the default
# sort (migration 0008) without a sort of its own.
PROJECT = Resource(
    table=PROJECTS,
    name="project",
    id_prefix="proj",
    keys=(
        "id",
        "name",
        "description",
        "status",
        "organization",
        "config",
        "created_at",
        "updated_at",
    ),
    defaults={"config": dict},
    fields={"name": REQUIRED, "description": "", "status": "active", "config": dict},
    updatable=("name", "description", "status"),
    merged=("config",),
    sortable=("name", "created_at", "updated_at"),
    search=("name", "description"),
    filters=("status",),
    events=True,
)

_SET_CONFIG = Prepared(update(PROJECTS).where(PROJECTS.c.id == bindparam("project_id")))


class ProjectStore(TableStore):
    """Projects of one database: get, page (+ total), create, update, delete (see
    :class:`specway.storage.store.TableStore`); results are the response's dicts, and each
    write records its ``project.*`` event with it when ``webhooks`` is given."""

    resource = PROJECT

    async def set_config(self, project_id: str, config: dict[str, Any]) -> None:
        """Replace the ``config`` of a project read just before (the configuration endpoints:
        a merge patch of what :meth:`get` returned; no event)."""
        values = {"config": config, "updated_at": utcnow(), "project_id": project_id}
        await self.database.write([(_SET_CONFIG, values)])

    def event(self, record: dict[str, Any]) -> tuple[dict[str, Any], str | None, str | None]:
        return {"project": record}, record["organization"], record["id"]


# A project with its organisation's name, its creator's name and how many environments it
# has, computed in the statement that reads it (examples/keynest shows projects so).
PROJECT_SUMMARY = replace(
    PROJECT,
    keys=(*PROJECT.keys, "organization_name", "created_by_name", "environment_count"),
    columns={
        "organization_name": select(_ORGANIZATIONS.c.name)
        .where(_ORGANIZATIONS.c.id == PROJECTS.c.organization_id)
        .scalar_subquery(),
        "created_by_name": user_name(PROJECTS.c.created_by),
        "environment_count": select(func.count(_ENVIRONMENTS.c.id))
        .where(_ENVIRONMENTS.c.project_id == PROJECTS.c.id)
        .scalar_subquery(),
    },
)


class ProjectSummaryStore(ProjectStore):
    """:class:`ProjectStore` whose records carry ``organization_name``, ``created_by_name``
    and ``environment_count`` (a create takes the names as ``extra``)."""

    resource = PROJECT_SUMMARY
