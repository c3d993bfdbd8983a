"""Projects: list with filters and sorting, get, create, update, delete."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, NamedTuple, TypedDict, Unpack, cast

from sqlalchemy import (
    BindParameter,
    Column,
    ColumnElement,
    Integer,
    Row,
    Select,
    Table,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session

from handlers.models import Project
from handlers.models_platform import Environment
from handlers.services.queries import like_pattern, user_name
from specway.errors import NotFound
from specway.ids import new_id, rfc3339, utcnow
from specway.pagination import PageRequest
from specway.plugins.auth.models import Organization
from specway.storage.prepared import Prepared
from specway.storage.sqltime import rfc3339_text
from specway.storage.store import REQUIRED, Resource, TableStore

PROJECTS: Table = Project.__table__  # type: ignore[assignment]
SORTABLE: dict[str, Column[Any]] = {
    "name": PROJECTS.c.name,
    "created_at": PROJECTS.c.created_at,
    "updated_at": PROJECTS.c.updated_at,
}
# A row of the ``_READ`` columns (Core reads: a ``Row`` or a ``Prepared`` row, timestamps as
# RFC 3339 text) or the mapped object (writes): the same attribute names.
ProjectRecord = Project | Row[Any] | Any


def project_to_dict(project: ProjectRecord) -> dict[str, Any]:
    if not isinstance(project, Project):
        return row_to_dict(project)
    return {
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "status": project.status,
        "organization": project.organization_id,
        "config": project.config or {},
        "created_at": rfc3339(project.created_at),
        "updated_at": rfc3339(project.updated_at),
    }


def row_to_dict(row: Sequence[Any]) -> dict[str, Any]:
    """:func:`project_to_dict` for a row of ``_READ`` columns, by position (no name lookups).

    A list's rows carry one more column, the total, which this ignores.
    """
    id_, organization_id, name, description, status, config, _, created_at, updated_at, *_ = row
    return {
        "id": id_,
        "name": name,
        "description": description,
        "status": status,
        "organization": organization_id,
        "config": config or {},
        "created_at": created_at,
        "updated_at": updated_at,
    }


class NewProject(NamedTuple):
    """A project just inserted, shaped as the rows reads return (``_READ``)."""

    id: str
    organization_id: str | None
    name: str
    description: str
    status: str
    config: dict[str, Any]
    created_by: str | None
    created_at: str | None
    updated_at: str | None


# Every column, created_by included: the reference responses don't show it, but services
# built on these reads do (examples/keynest shows each project's creator).
assert NewProject._fields == tuple(c.name for c in PROJECTS.columns), (
    "row_to_dict unpacks the columns of projects in this order"
)
_COLUMNS = NewProject._fields[:-2]  # all but the timestamps, which reads format
# What reads select: every column, the timestamps already RFC 3339 text (see
# specway.storage.sqltime), under their own names.
_READ = (
    *(PROJECTS.c[name] for name in _COLUMNS),
    rfc3339_text(PROJECTS.c.created_at).label("created_at"),
    rfc3339_text(PROJECTS.c.updated_at).label("updated_at"),
)
# What a response shows of a project: the handlers' reads return these as dicts
# (``Prepared.records``), in the order of row_to_dict's keys. The organisation is not fetched:
# every read's WHERE pins it to the ``org`` parameter (or to NULL, when ``org`` is None), so
# each record takes it from there; three columns fewer per row than ``_READ``.
_RESPONSE = (
    PROJECTS.c.id,
    PROJECTS.c.name,
    PROJECTS.c.description,
    PROJECTS.c.status,
    PROJECTS.c.config,
    _READ[-2],
    _READ[-1],
)
_RESPONSE_KEYS = (
    "id",
    "name",
    "description",
    "status",
    "organization",
    "config",
    "created_at",
    "updated_at",
)
_RESPONSE_BOUND = {"organization": "org"}
_RESPONSE_DEFAULTS = {"config": dict}


# Reads are Core statements built once, with bound parameters: building a statement and its
# cache key costs more than SQLite's lookup, and the ORM's identity map buys a read nothing.
def _org_clause(organization_id: str | None) -> ColumnElement[bool]:
    column = PROJECTS.c.organization_id
    return column.is_(None) if organization_id is None else column == bindparam("org")


def _prepared(statement: Select[Any], response: bool) -> Prepared:
    """``statement`` (of ``_RESPONSE``'s columns when ``response``) ready to run."""
    if response:
        return Prepared(
            statement, record=_RESPONSE_KEYS, defaults=_RESPONSE_DEFAULTS, bound=_RESPONSE_BOUND
        )
    return Prepared(statement)


@functools.cache
def _get_statement(no_org: bool, response: bool = False) -> Prepared:
    where = (_org_clause(None if no_org else ""), PROJECTS.c.id == bindparam("project_id"))
    return _prepared(select(*(_RESPONSE if response else _READ)).where(*where), response)


@functools.cache
def _list_statements(
    no_org: bool, sort: str, order: str, search: bool, status: bool, response: bool = False
) -> tuple[Prepared, Prepared]:
    """``(count, page)`` for one shape of the list query; values are bound at execution.

    ``response``: the page selects ``_RESPONSE``'s columns as records, not ``_READ``'s rows.

    The page's rows end with the count as a column (``total``): an uncorrelated scalar
    subquery, which SQLite and PostgreSQL compute once per statement. One statement instead of
    two saves a round trip, and the rows and their total come from one snapshot. ``count`` is
    for a page past the end, which has no row to carry it.
    """
    where = [_org_clause(None if no_org else "")]
    if search:
        pattern: BindParameter[str] = bindparam("pattern")
        where.append(
            or_(
                func.lower(PROJECTS.c.name).like(pattern, escape="\\"),
                func.lower(PROJECTS.c.description).like(pattern, escape="\\"),
            )
        )
    if status:
        where.append(PROJECTS.c.status == bindparam("status"))
    column = SORTABLE.get(sort, PROJECTS.c.created_at)
    # Ties broken by id in the same direction: one index, walked either way, serves both
    # orders of the default sort (migration 0008) without a sort of its own.
    if order == "asc":
        ordering = (column.asc(), PROJECTS.c.id.asc())
    else:
        ordering = (column.desc(), PROJECTS.c.id.desc())
    count = select(func.count()).select_from(PROJECTS).where(*where)
    page = (
        select(*(_RESPONSE if response else _READ), count.scalar_subquery().label("total"))
        .where(*where)
        .order_by(*ordering)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )
    return Prepared(count), _prepared(page, response)


class ListFilters(TypedDict, total=False):
    """A project list's sort and filters, as the ``listProjects`` operation takes them."""

    sort: str
    order: str
    search: str | None
    status: str | None


def read_projects(
    db: Connection | Session,
    organization_id: str | None,
    page: PageRequest,
    **filters: Unpack[ListFilters],
) -> tuple[list[Any], int]:
    """``(rows, total)``: one page of projects (synchronous: run it with ``Database.read``).

    The rows are ``_READ``'s columns followed by ``total`` (see :func:`_list_statements`).
    """
    count, query, params = _list_query(organization_id, page, **filters)
    rows = query.rows(db, params)
    if rows:
        return list(rows), int(rows[0][-1])
    return [], _total_without_rows(db, count, page, params)


def read_project_page(
    db: Connection | Session,
    organization_id: str | None,
    page: PageRequest,
    **filters: Unpack[ListFilters],
) -> tuple[list[dict[str, Any]], int]:
    """:func:`read_projects` as the response shows it: ``(items, total)``, each item the dict
    :func:`row_to_dict` would make, built straight from the fetched rows."""
    count, query, params = _list_query(organization_id, page, response=True, **filters)
    items, rest = query.records(db, params)
    if items:
        return items, int(rest[0])
    return [], _total_without_rows(db, count, page, params)


def _list_query(
    organization_id: str | None,
    page: PageRequest,
    *,
    response: bool = False,
    sort: str = "created_at",
    order: str = "desc",
    search: str | None = None,
    status: str | None = None,
) -> tuple[Prepared, Prepared, dict[str, Any]]:
    """``(count, page, parameters)`` of one list request."""
    sort = sort if sort in SORTABLE else "created_at"
    order = "asc" if order == "asc" else "desc"
    count, query = _list_statements(
        organization_id is None, sort, order, bool(search), bool(status), response
    )
    params: dict[str, Any] = {"org": organization_id, "offset": page.offset, "limit": page.per_page}
    if search:
        params["pattern"] = like_pattern(search)
    if status:
        params["status"] = status
    return count, query, params


def _total_without_rows(
    db: Connection | Session, count: Prepared, page: PageRequest, params: dict[str, Any]
) -> int:
    """The total for a page with no row to carry it: past the last page, or nothing at all."""
    return int(count.rows(db, params)[0][0]) if page.offset else 0


async def list_projects(
    executor: AsyncSession | AsyncConnection,
    organization_id: str | None,
    page: PageRequest,
    **filters: Unpack[ListFilters],
) -> tuple[list[Any], int]:
    """:func:`read_projects` on an open async session or connection."""
    return await executor.run_sync(
        functools.partial(read_projects, organization_id=organization_id, page=page, **filters)
    )


def read_project(db: Connection | Session, organization_id: str | None, project_id: str) -> Any:
    """The row of ``project_id`` in ``organization_id`` (synchronous: ``Database.read``)."""
    statement = _get_statement(organization_id is None)
    rows = statement.rows(db, {"org": organization_id, "project_id": project_id})
    if not rows:
        raise _not_found(project_id)
    return rows[0]


def read_project_record(
    db: Connection | Session, organization_id: str | None, project_id: str
) -> dict[str, Any]:
    """:func:`read_project` as the response shows it (the dict :func:`row_to_dict` makes)."""
    statement = _get_statement(organization_id is None, response=True)
    records, _ = statement.records(db, {"org": organization_id, "project_id": project_id})
    if not records:
        raise _not_found(project_id)
    return records[0]


async def get_project(
    session: AsyncSession, organization_id: str | None, project_id: str
) -> Project:
    """The mapped ``project_id`` in ``organization_id``, to change or delete it."""
    query = select(Project).where(
        Project.organization_id.is_(None)
        if organization_id is None
        else Project.organization_id == organization_id,
        Project.id == project_id,
    )
    project: Project | None = (await session.execute(query)).scalar_one_or_none()
    if project is None:
        raise _not_found(project_id)
    return project


def _not_found(project_id: str) -> NotFound:
    return NotFound(
        f"Project {project_id} not found",
        details={"resource_type": "project", "resource_id": project_id},
    )


async def create_project(
    session: AsyncSession,
    organization_id: str | None,
    data: dict[str, Any],
    created_by: str | None = None,
) -> Project:
    """Insert a project in ``session``'s transaction; returns it (not attached to the session)."""
    values = _new_project(organization_id, data, created_by)
    await session.execute(_INSERT.statement, values)
    return Project(**values)


def insert_project(
    connection: Connection,
    organization_id: str | None,
    data: dict[str, Any],
    created_by: str | None = None,
) -> NewProject:
    """:func:`create_project` for synchronous work in ``Database.transaction``.

    Returns the row as a read would (timestamps as RFC 3339 text), not a mapped object: its
    instrumentation would cost more than the insert's own Python.
    """
    values = _new_project(organization_id, data, created_by)
    _INSERT.run(connection, values)
    stamp = rfc3339(values["created_at"])  # updated_at is the same instant (_new_project)
    return NewProject._make([*(values[name] for name in _COLUMNS), stamp, stamp])


def _new_project(
    organization_id: str | None, data: dict[str, Any], created_by: str | None
) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": new_id("proj"),
        "organization_id": organization_id,
        "name": data["name"],
        "description": data.get("description", ""),
        "status": data.get("status", "active"),
        "config": data.get("config") or {},
        "created_by": created_by,
        "created_at": now,
        "updated_at": now,
    }


_INSERT = Prepared(insert(PROJECTS))


async def update_project(session: AsyncSession, project: Project, data: dict[str, Any]) -> Project:
    for field in ("name", "description", "status"):
        if field in data:
            setattr(project, field, data[field])
    if "config" in data:
        project.config = {**(project.config or {}), **(data["config"] or {})}
    project.updated_at = utcnow()
    await session.flush()
    return project


async def delete_project(session: AsyncSession, project: Project) -> None:
    await session.delete(project)
    await session.flush()


async def project_summaries(
    session: AsyncSession, projects: Sequence[ProjectRecord]
) -> dict[str, dict[str, Any]]:
    """Per project id: its organisation's name, its creator's name and its environment count."""
    from handlers.models_platform import Environment
    from specway.plugins.auth.models import Organization, User

    ids = [p.id for p in projects]
    if not ids:
        return {}
    count_rows = await session.execute(
        select(Environment.project_id, func.count(Environment.id))
        .where(Environment.project_id.in_(ids))
        .group_by(Environment.project_id)
    )
    counts: dict[str, int] = {str(pid): int(n) for pid, n in count_rows.all()}
    org_ids = {p.organization_id for p in projects if p.organization_id}
    org_rows = await session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
    )
    orgs: dict[str, str] = {str(oid): str(name) for oid, name in org_rows.all()}
    user_ids = {p.created_by for p in projects if p.created_by}
    users = {
        u.id: f"{u.first_name} {u.last_name}".strip() or u.email
        for u in (await session.execute(select(User).where(User.id.in_(user_ids)))).scalars()
    }
    return {
        p.id: {
            "organization_name": orgs.get(p.organization_id or ""),
            "created_by_name": users.get(p.created_by or ""),
            "environment_count": int(counts.get(p.id, 0)),
        }
        for p in projects
    }


# --- The store: the one API the handlers use ------------------------------------------------

_UPDATE = Prepared(update(PROJECTS).where(PROJECTS.c.id == bindparam("project_id")))

PROJECT = Resource(
    table=PROJECTS,
    name="project",
    id_prefix="proj",
    keys=_RESPONSE_KEYS,
    defaults=_RESPONSE_DEFAULTS,
    fields={"name": REQUIRED, "description": "", "status": "active", "config": dict},
    updatable=("name", "description", "status"),
    merged=("config",),
    sortable=tuple(SORTABLE),
    search=("name", "description"),
    filters=("status",),
    events=True,
)


class ProjectStore(TableStore):
    """Projects of one database: get, page (+ total), create, update, delete (see
    :class:`specway.storage.store.TableStore`); results are the response's dicts, and each
    write records its ``project.*`` event with it when ``webhooks`` is given."""

    resource = PROJECT

    async def set_config(self, project_id: str, config: dict[str, Any]) -> None:
        """Replace the ``config`` of a project read just before (the configuration endpoints:
        a merge patch of what :meth:`get` returned; no event)."""
        values = {"config": config, "updated_at": utcnow(), "project_id": project_id}
        await self.database.write([(_UPDATE, values)])

    def event(self, record: dict[str, Any]) -> tuple[dict[str, Any], str | None, str | None]:
        return {"project": record}, record["organization"], record["id"]


_ENVIRONMENTS = cast(Table, Environment.__table__)
_ORGANIZATIONS = cast(Table, Organization.__table__)

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
