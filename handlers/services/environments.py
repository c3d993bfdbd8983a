"""Environments (seed 004): a project's development, staging, production or testing settings.

Names are unique per project (409). Every read joins the project for ``project_name`` and counts
the environment's variables, so a page (and its total) is one statement, not one per row.
:class:`EnvironmentStore` is what the handlers use; the session functions serve code that works
in a session of its own (the variables' import and export, examples/keynest).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.models import Project
from handlers.models_platform import Environment, Variable
from handlers.runtime import Actor
from handlers.services.projects import get_project
from handlers.services.queries import fetch_page, like_pattern, owned_by
from specway.errors import Conflict, NotFound
from specway.ids import rfc3339, utcnow
from specway.pagination import PageRequest
from specway.storage.database import Write
from specway.storage.store import REQUIRED, Resource, TableStore

ENVIRONMENT_TYPES = ("development", "staging", "production", "testing")
SORTABLE = {
    "name": Environment.name,
    "environment_type": Environment.environment_type,
    "created_at": Environment.created_at,
    "updated_at": Environment.updated_at,
}


@dataclass(frozen=True, slots=True)
class EnvironmentView:
    """An environment with what its representation needs from elsewhere."""

    environment: Environment
    project_name: str
    variable_count: int

    def to_dict(self) -> dict[str, Any]:
        env = self.environment
        return {
            "id": env.id,
            "name": env.name,
            "project": env.project_id,
            "project_name": self.project_name,
            "environment_type": env.environment_type,
            "description": env.description,
            "organization": env.organization_id,
            "created_at": rfc3339(env.created_at),
            "updated_at": rfc3339(env.updated_at),
            "created_by_name": env.created_by_name,
            "variable_count": self.variable_count,
        }


def _views(organization_id: str | None) -> Select[Any]:
    count = (
        select(func.count(Variable.id))
        .where(Variable.environment_id == Environment.id)
        .correlate(Environment)
        .scalar_subquery()
    )
    return (
        select(Environment, Project.name, count)
        .join(Project, Project.id == Environment.project_id)
        .where(owned_by(Environment.organization_id, organization_id))
    )


def _not_found(environment_id: str) -> NotFound:
    return NotFound(
        f"Environment {environment_id} not found",
        details={"resource_type": "environment", "resource_id": environment_id},
    )


async def list_environments(
    session: AsyncSession,
    organization_id: str | None,
    page: PageRequest,
    *,
    project_id: str | None = None,
    environment_type: str | None = None,
    search: str | None = None,
    sort: str = "created_at",
    order: str = "desc",
) -> tuple[list[EnvironmentView], int]:
    """One page of the organisation's environments, filtered by project, type and search."""
    query = _views(organization_id)
    if project_id is not None:
        query = query.where(Environment.project_id == project_id)
    if environment_type:
        query = query.where(Environment.environment_type == environment_type)
    if search:
        pattern = like_pattern(search)
        query = query.where(
            or_(
                func.lower(Environment.name).like(pattern, escape="\\"),
                func.lower(Environment.description).like(pattern, escape="\\"),
            )
        )
    rows, total = await fetch_page(
        session,
        query,
        page,
        sortable=SORTABLE,
        sort=sort,
        order=order,
        default_sort="created_at",
        tie_breaker=Environment.id,
    )
    return [EnvironmentView(env, name, int(count)) for env, name, count in rows], total


async def get_environment(
    session: AsyncSession, organization_id: str | None, environment_id: str
) -> Environment:
    """The environment, or :class:`NotFound` (also for another organisation's id)."""
    query = select(Environment).where(
        owned_by(Environment.organization_id, organization_id), Environment.id == environment_id
    )
    environment: Environment | None = (await session.execute(query)).scalar_one_or_none()
    if environment is None:
        raise _not_found(environment_id)
    return environment


async def view_environment(session: AsyncSession, environment: Environment) -> EnvironmentView:
    """``environment`` with its project's name and its variable count."""
    row = (
        await session.execute(
            _views(environment.organization_id).where(Environment.id == environment.id)
        )
    ).one()
    return EnvironmentView(row[0], row[1], int(row[2]))


async def _ensure_unique_name(
    session: AsyncSession, project_id: str, name: str, exclude: str | None = None
) -> None:
    query = select(Environment.id).where(
        Environment.project_id == project_id, Environment.name == name
    )
    if exclude is not None:
        query = query.where(Environment.id != exclude)
    if (await session.execute(query.limit(1))).first() is not None:
        raise _duplicate(name)


def _duplicate(name: str) -> Conflict:
    return Conflict(
        f"An environment named {name!r} already exists in this project",
        details={"field": "name", "reason": "duplicate"},
    )


async def create_environment(
    session: AsyncSession, actor: Actor, data: dict[str, Any]
) -> Environment:
    """A new environment in one of the actor's projects (404 for a foreign project)."""
    project = await get_project(session, actor.organization_id, data["project"])
    await _ensure_unique_name(session, project.id, data["name"])
    now = utcnow()
    environment = Environment(
        organization_id=actor.organization_id,
        project_id=project.id,
        name=data["name"],
        environment_type=data.get("environment_type", "development"),
        description=data.get("description", ""),
        created_by=actor.id,
        created_by_name=actor.name,
        created_at=now,
        updated_at=now,
    )
    session.add(environment)
    await _flush(session, data["name"])
    return environment


async def _flush(session: AsyncSession, name: str) -> None:
    # The pre-check above gives the friendly 409; this one covers a concurrent insert.
    try:
        await session.flush()
    except IntegrityError as exc:
        raise _duplicate(name) from exc


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
    sortable=tuple(SORTABLE),
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

    async def write(self, writes: list[Write], change: str, record: dict[str, Any]) -> None:
        # The unique (project, name) key: a duplicate name, created or renamed to, is a 409.
        try:
            await super().write(writes, change, record)
        except IntegrityError as exc:
            raise _duplicate(record["name"]) from exc
