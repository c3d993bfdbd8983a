"""``DeploymentStore``: a project's deployments on the store path (no ORM session per request).

Every read is one prebuilt statement (``Prepared``) run by ``Database.records`` / ``rows``; a
write and its ``deployment.*`` event are one ``write_with_event`` (one transaction, one
statement on PostgreSQL when the organisation has no webhook endpoint). The rules are those of
:mod:`handlers.services.deployments`: one active deployment per project, a config merged into
the project's (RFC 7396) and validated at creation, the project's active config replaced when
a deployment completes, a rollback redeploying the latest earlier completed deployment of
another version. Two concurrent creates for one project take the same ``sequence`` and the
unique ``(project_id, sequence)`` pair refuses the second (409, retry).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Integer, Table, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from handlers.models import Project
from handlers.models_deployments import ACTIVE_STATUSES, Deployment
from handlers.services import deployment_events as events
from handlers.services.configuration import merge_patch, validated_config
from handlers.services.deployments import check_version
from specway.errors import Conflict
from specway.ids import new_id, rfc3339, utcnow
from specway.pagination import PageRequest
from specway.storage.database import Write
from specway.storage.prepared import Prepared
from specway.storage.store import Resource, TableStore, read_page

DEPLOYMENTS = cast(Table, Deployment.__table__)
PROJECTS = cast(Table, Project.__table__)
# The API's sort names; "created_at" is the project's own order of deployments.
SORT_COLUMNS = {"created_at": "sequence", "version": "version", "status": "status"}
_ACTIVE = {f"active{i}": status for i, status in enumerate(ACTIVE_STATUSES)}

DEPLOYMENT = Resource(
    table=DEPLOYMENTS,
    name="deployment",
    id_prefix="dep",
    keys=(
        "id",
        "project_id",
        "version",
        "status",
        "config",
        "error",
        "rollback_of",
        "created_at",
        "updated_at",
        "started_at",
        "finished_at",
    ),
    defaults={"config": dict},
)


@functools.cache
def _get(no_org: bool) -> Prepared:
    where = [
        *DEPLOYMENT.where(no_org),
        DEPLOYMENTS.c.id == bindparam("row_id"),
        DEPLOYMENTS.c.project_id == bindparam("project_id"),
    ]
    return DEPLOYMENT.records(select(*DEPLOYMENT.selected).where(*where))


@functools.cache
def _page(no_org: bool, sort: str, order: str, status: bool) -> tuple[Prepared, Prepared]:
    """``(count, page)``: the page's rows carry the total (as ``TableStore.page``); ties are
    broken by ``sequence``, in the same direction."""
    where = [*DEPLOYMENT.where(no_org), DEPLOYMENTS.c.project_id == bindparam("project_id")]
    if status:
        where.append(DEPLOYMENTS.c.status == bindparam("status"))
    column = DEPLOYMENTS.c[sort]
    sequence = DEPLOYMENTS.c.sequence
    ascending = order == "asc"
    ordering = (column.asc(), sequence.asc()) if ascending else (column.desc(), sequence.desc())
    count = select(func.count()).select_from(DEPLOYMENTS).where(*where)
    page = (
        select(*DEPLOYMENT.selected, count.scalar_subquery().label("total"))
        .where(*where)
        .order_by(*ordering)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )
    return Prepared(count), DEPLOYMENT.records(page)


@functools.cache
def _state() -> Prepared:
    """A project's last ``sequence`` and its active deployment (id, status), in one row."""
    project = DEPLOYMENTS.c.project_id == bindparam("project_id")
    active = DEPLOYMENTS.c.status.in_([bindparam(name) for name in _ACTIVE])
    last = select(func.max(DEPLOYMENTS.c.sequence)).where(project).scalar_subquery()

    def of_active(column: Any) -> Any:
        first = select(column).where(project, active).order_by(DEPLOYMENTS.c.sequence).limit(1)
        return first.scalar_subquery()

    return Prepared(
        select(
            last.label("last"),
            of_active(DEPLOYMENTS.c.id).label("active_id"),
            of_active(DEPLOYMENTS.c.status).label("active_status"),
        )
    )


@functools.cache
def _rollback_target() -> Prepared:
    """The latest completed deployment of another version before ``row_id``."""
    before = (
        select(DEPLOYMENTS.c.sequence)
        .where(DEPLOYMENTS.c.id == bindparam("row_id"))
        .scalar_subquery()
    )
    return DEPLOYMENT.records(
        select(*DEPLOYMENT.selected)
        .where(
            DEPLOYMENTS.c.project_id == bindparam("project_id"),
            DEPLOYMENTS.c.sequence < before,
            DEPLOYMENTS.c.status == bindparam("completed"),
            DEPLOYMENTS.c.version != bindparam("version"),
        )
        .order_by(DEPLOYMENTS.c.sequence.desc())
        .limit(1)
    )


@functools.cache
def _with_owner() -> Prepared:
    """A deployment by id alone, and (after its record) its organisation: the runner's read."""
    return DEPLOYMENT.records(
        select(*DEPLOYMENT.selected, DEPLOYMENTS.c.organization_id).where(
            DEPLOYMENTS.c.id == bindparam("row_id")
        )
    )


@functools.cache
def _stale_and_pending() -> tuple[Prepared, Prepared]:
    stale = select(DEPLOYMENTS.c.id).where(
        DEPLOYMENTS.c.status == bindparam("in_progress"),
        DEPLOYMENTS.c.started_at < bindparam("cutoff", type_=DEPLOYMENTS.c.started_at.type),
    )
    pending = (
        select(DEPLOYMENTS.c.id)
        .where(DEPLOYMENTS.c.status == bindparam("pending"))
        .order_by(DEPLOYMENTS.c.created_at)
    )
    return Prepared(stale), Prepared(pending)


_INSERT = Prepared(insert(DEPLOYMENTS))
# A state change of the runner, only from the status the runner read (``from_status``).
_MOVE = Prepared(
    update(DEPLOYMENTS).where(
        DEPLOYMENTS.c.id == bindparam("row_id"),
        DEPLOYMENTS.c.status == bindparam("from_status"),
    )
)
_SET_PROJECT_CONFIG = Prepared(update(PROJECTS).where(PROJECTS.c.id == bindparam("row_id")))
_PROJECT_EXISTS = Prepared(select(PROJECTS.c.id).where(PROJECTS.c.id == bindparam("row_id")))


class DeploymentStore(TableStore):
    """A project's deployments: page, get, create (and rollback), and the runner's moves.

    Reads return the response's dicts. ``webhooks``: the service whose outbox each write's
    ``deployment.*`` event goes to (``None``: no events).
    """

    resource = DEPLOYMENT

    async def get_in_project(
        self, organization_id: str | None, project_id: str, deployment_id: str
    ) -> dict[str, Any]:
        """The deployment as a response shows it; ``NotFound`` outside the project or the
        organisation."""
        params = {"org": organization_id, "row_id": deployment_id, "project_id": project_id}
        records, _ = await self.database.records(_get(organization_id is None), params)
        if not records:
            raise self.not_found(deployment_id)
        return records[0]

    async def page_in_project(
        self,
        organization_id: str | None,
        project_id: str,
        page: PageRequest,
        *,
        status: str | None = None,
        sort: str = "created_at",
        order: str = "desc",
    ) -> tuple[list[dict[str, Any]], int]:
        """``(items, total)`` of one page, in one statement (a page past the end: two)."""
        column = SORT_COLUMNS.get(sort, "sequence")
        order = "asc" if order == "asc" else "desc"
        params: dict[str, Any] = {
            "org": organization_id,
            "project_id": project_id,
            "offset": page.offset,
            "limit": page.per_page,
        }
        if status:
            params["status"] = status
        count, query = _page(organization_id is None, column, order, bool(status))
        return await read_page(self.database, query, count, params)

    async def create_in_project(
        self,
        project: dict[str, Any],
        *,
        version: str,
        config_changes: dict[str, Any] | None,
        config_schema: dict[str, Any],
        created_by: str | None = None,
        rollback_of: str | None = None,
        replace_config: bool = False,
        with_writes: Callable[[dict[str, Any]], Sequence[Write]] | None = None,
    ) -> dict[str, Any]:
        """A ``pending`` deployment of ``version`` of ``project`` (a record of the project
        store); 409 while another one is active. ``config_changes`` are merged into the
        project's config (or replace it when ``replace_config``, as a rollback does); the
        result must be a valid config. ``with_writes``: the writes of rows that go with the
        deployment (given its record), committed in its transaction (examples/hexabase's
        deploy source)."""
        check_version(version)
        state = (await self.database.rows(_state(), {"project_id": project["id"], **_ACTIVE}))[0]
        if state.active_id is not None:
            raise Conflict(
                f"Deployment {state.active_id} of this project is still {state.active_status}",
                details={"deployment_id": state.active_id, "status": state.active_status},
            )
        base = {} if replace_config else (project.get("config") or {})
        config = validated_config(
            merge_patch(base, config_changes or {}), config_schema, prefix="config"
        )
        now = utcnow()
        stamp = rfc3339(now)
        organization_id = project.get("organization")
        values = {
            "id": new_id(DEPLOYMENT.id_prefix),
            "organization_id": organization_id,
            "project_id": project["id"],
            "sequence": int(state.last or 0) + 1,
            "version": version,
            "config": config,
            "status": "pending",
            "error": None,
            "rollback_of": rollback_of,
            "created_by": created_by,
            "created_at": now,
            "updated_at": now,
            "started_at": None,
            "finished_at": None,
        }
        record = {key: values[key] for key in DEPLOYMENT.keys}
        record.update(created_at=stamp, updated_at=stamp)
        try:
            await events.write_deployment_event(
                self.database,
                self.webhooks,
                [(_INSERT, values), *(with_writes(record) if with_writes else ())],
                events.CREATED,
                record,
                organization_id,
            )
        except IntegrityError:
            raise Conflict(
                "Another deployment of this project was created at the same time; retry"
            ) from None
        return record

    async def rollback_target(self, deployment: dict[str, Any]) -> dict[str, Any]:
        """The deployment a rollback of ``deployment`` goes back to; 409 if there is none."""
        params = {
            "row_id": deployment["id"],
            "project_id": deployment["project_id"],
            "completed": "completed",
            "version": deployment["version"],
        }
        found, _ = await self.database.records(_rollback_target(), params)
        if not found:
            raise Conflict(
                f"Nothing to roll back to: no completed deployment of another version "
                f"precedes {deployment['id']}",
                details={"deployment_id": deployment["id"]},
            )
        return found[0]

    # --- The runner's moves (no request, no principal: the organisation is the row's) -----

    async def with_owner(self, deployment_id: str) -> tuple[dict[str, Any], str | None] | None:
        """``(record, organisation)`` of a deployment by id alone, or ``None``."""
        records, rest = await self.database.records(_with_owner(), {"row_id": deployment_id})
        if not records:
            return None
        return records[0], rest[0]

    async def claim(self, deployment_id: str) -> tuple[dict[str, Any], str | None] | None:
        """Move a ``pending`` deployment to ``in_progress``: ``(record, organisation)``, or
        ``None`` if someone else moved it (or it is gone)."""
        now = utcnow()
        values = {
            "row_id": deployment_id,
            "from_status": "pending",
            "status": "in_progress",
            "started_at": now,
            "updated_at": now,
        }

        def move(connection: Connection) -> bool:
            # The runner's own step, off the request path: a Core UPDATE whose row count says
            # whether this runner moved it.
            return connection.execute(_MOVE.statement, values).rowcount == 1

        if not await self.database.transaction(move):
            return None
        return await self.with_owner(deployment_id)

    async def finish(
        self, record: dict[str, Any], organization_id: str | None, error: str | None
    ) -> dict[str, Any]:
        """Complete an ``in_progress`` deployment (its config becomes the project's) or fail
        it with ``error``; its ``deployment.completed`` / ``.failed`` event with it."""
        now = utcnow()
        writes = []
        if error is None:
            exists = await self.database.rows(_PROJECT_EXISTS, {"row_id": record["project_id"]})
            if not exists:
                error = "the project no longer exists"
            else:
                project = {
                    "row_id": record["project_id"],
                    "config": dict(record["config"] or {}),
                    "updated_at": now,
                }
                writes.append((_SET_PROJECT_CONFIG, project))
        status = "completed" if error is None else "failed"
        values = {
            "row_id": record["id"],
            "from_status": "in_progress",
            "status": status,
            "error": error,
            "finished_at": now,
            "updated_at": now,
        }
        writes.insert(0, (_MOVE, values))
        stamp = rfc3339(now)
        done = {**record, "status": status, "error": error, "finished_at": stamp}
        done["updated_at"] = stamp
        await events.write_deployment_event(
            self.database, self.webhooks, writes, f"deployment.{status}", done, organization_id
        )
        return done

    async def stale_and_pending(self, stale_after: float) -> tuple[list[str], list[str]]:
        """Ids of deployments ``in_progress`` for longer than ``stale_after`` seconds, and of
        pending ones (oldest first)."""
        stale, pending = _stale_and_pending()
        cutoff = utcnow() - timedelta(seconds=stale_after)
        stale_rows = await self.database.rows(
            stale, {"in_progress": "in_progress", "cutoff": cutoff}
        )
        pending_rows = await self.database.rows(pending, {"pending": "pending"})
        return [str(row[0]) for row in stale_rows], [str(row[0]) for row in pending_rows]
