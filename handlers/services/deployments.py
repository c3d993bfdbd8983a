"""Deployments: create (one active per project), list, get, rollback, and the state changes.

A deployment moves ``pending → in_progress → completed | failed``; the background
:class:`~handlers.services.deployment_runner.DeploymentRunner` moves it. Its ``config`` is the
project's active config merged with the requested changes (RFC 7396) at creation; on
completion that config becomes the project's active config. A rollback is a new deployment of
the most recent earlier *completed* deployment with another version, so it restores that
version's config too.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.models import Project
from handlers.models_deployments import ACTIVE_STATUSES, Deployment
from handlers.services import deployment_events as events
from handlers.services.configuration import merge_patch, validated_config
from specway.errors import BadRequest, Conflict, NotFound
from specway.ids import rfc3339, utcnow
from specway.pagination import PageRequest

# Semantic Versioning 2.0.0, with an optional leading "v" (the seed's "v1.0.0").
SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
SORTABLE = {
    "created_at": Deployment.sequence,
    "version": Deployment.version,
    "status": Deployment.status,
}


def deployment_to_dict(deployment: Deployment) -> dict[str, Any]:
    return {
        "id": deployment.id,
        "project_id": deployment.project_id,
        "version": deployment.version,
        "status": deployment.status,
        "config": deployment.config or {},
        "error": deployment.error,
        "rollback_of": deployment.rollback_of,
        "created_at": rfc3339(deployment.created_at),
        "updated_at": rfc3339(deployment.updated_at),
        "started_at": rfc3339(deployment.started_at),
        "finished_at": rfc3339(deployment.finished_at),
    }


def event_data(deployment: Deployment) -> dict[str, Any]:
    """``data`` of the ``deployment.*`` events."""
    body = deployment_to_dict(deployment)
    environment = (deployment.config or {}).get("environment")
    if environment:
        body["environment"] = environment
    body["completed_at"] = body["finished_at"] if deployment.status == "completed" else None
    return {"deployment": body}


def check_version(version: str) -> str:
    if not SEMVER.match(version):
        raise BadRequest(
            f"Invalid 'version': {version!r} is not a semantic version (e.g. v1.0.0 or 1.0.0)",
            details=[{"field": "version", "in": "body", "reason": "not a semantic version"}],
        )
    return version


def _where_org(organization_id: str | None) -> Any:
    return (
        Deployment.organization_id.is_(None)
        if organization_id is None
        else Deployment.organization_id == organization_id
    )


async def list_deployments(
    session: AsyncSession,
    organization_id: str | None,
    project_id: str,
    page: PageRequest,
    *,
    status: str | None = None,
    sort: str = "created_at",
    order: str = "desc",
) -> tuple[list[Deployment], int]:
    query = select(Deployment).where(
        Deployment.project_id == project_id, _where_org(organization_id)
    )
    if status:
        query = query.where(Deployment.status == status)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    column = SORTABLE.get(sort, Deployment.sequence)
    ordering = column.asc() if order == "asc" else column.desc()
    tiebreak = Deployment.sequence.asc() if order == "asc" else Deployment.sequence.desc()
    rows = await session.execute(
        query.order_by(ordering, tiebreak).offset(page.offset).limit(page.per_page)
    )
    return list(rows.scalars()), int(total)


async def get_deployment(
    session: AsyncSession, organization_id: str | None, project_id: str, deployment_id: str
) -> Deployment:
    query = select(Deployment).where(
        Deployment.id == deployment_id,
        Deployment.project_id == project_id,
        _where_org(organization_id),
    )
    found: Deployment | None = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise NotFound(
            f"Deployment {deployment_id} not found",
            details={"resource_type": "deployment", "resource_id": deployment_id},
        )
    return found


async def _active(session: AsyncSession, project_id: str) -> Deployment | None:
    query = (
        select(Deployment)
        .where(Deployment.project_id == project_id, Deployment.status.in_(ACTIVE_STATUSES))
        .limit(1)
    )
    found: Deployment | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def create_deployment(
    session: AsyncSession,
    project: Project,
    *,
    version: str,
    config_changes: dict[str, Any] | None,
    config_schema: dict[str, Any],
    created_by: str | None = None,
    rollback_of: str | None = None,
    replace_config: bool = False,
) -> Deployment:
    """A ``pending`` deployment of ``version``; 409 while another one is active.

    ``config_changes`` are merged into the project's active config (or replace it when
    ``replace_config``, as a rollback does); the result must be a valid config.
    """
    check_version(version)
    active = await _active(session, project.id)
    if active is not None:
        raise Conflict(
            f"Deployment {active.id} of this project is still {active.status}",
            details={"deployment_id": active.id, "status": active.status},
        )
    base = {} if replace_config else (project.config or {})
    config = validated_config(
        merge_patch(base, config_changes or {}), config_schema, prefix="config"
    )
    last = (
        await session.execute(
            select(func.max(Deployment.sequence)).where(Deployment.project_id == project.id)
        )
    ).scalar_one()
    now = utcnow()
    deployment = Deployment(
        organization_id=project.organization_id,
        project_id=project.id,
        sequence=int(last or 0) + 1,
        version=version,
        config=config,
        status="pending",
        rollback_of=rollback_of,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(deployment)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(
            "Another deployment of this project was created at the same time; retry"
        ) from None
    await events.emit_deployment_event(session, events.CREATED, deployment, event_data(deployment))
    return deployment


async def rollback_target(session: AsyncSession, deployment: Deployment) -> Deployment:
    """The deployment a rollback of ``deployment`` goes back to; 409 if there is none."""
    query = (
        select(Deployment)
        .where(
            Deployment.project_id == deployment.project_id,
            Deployment.sequence < deployment.sequence,
            Deployment.status == "completed",
            Deployment.version != deployment.version,
        )
        .order_by(Deployment.sequence.desc())
        .limit(1)
    )
    found: Deployment | None = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise Conflict(
            f"Nothing to roll back to: no completed deployment of another version "
            f"precedes {deployment.id}",
            details={"deployment_id": deployment.id},
        )
    return found


async def claim(session: AsyncSession, deployment_id: str) -> Deployment | None:
    """Move a ``pending`` deployment to ``in_progress``; ``None`` if someone else did."""
    now = utcnow()
    result = await session.execute(
        update(Deployment)
        .where(Deployment.id == deployment_id, Deployment.status == "pending")
        .values(status="in_progress", started_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    found: Deployment | None = await session.get(Deployment, deployment_id, populate_existing=True)
    return found


async def finish(session: AsyncSession, deployment: Deployment, error: str | None) -> Deployment:
    """Complete ``deployment`` (its config becomes the project's) or fail it with ``error``."""
    now = utcnow()
    if error is None:
        project = await session.get(Project, deployment.project_id)
        if project is None:
            error = "the project no longer exists"
        else:
            project.config = dict(deployment.config or {})
            project.updated_at = now
    deployment.status = "completed" if error is None else "failed"
    deployment.error = error
    deployment.finished_at = now
    deployment.updated_at = now
    await session.flush()
    return deployment


async def stale_and_pending(
    session: AsyncSession, stale_after: float
) -> tuple[list[Deployment], list[str]]:
    """Deployments ``in_progress`` for longer than ``stale_after`` seconds, and pending ids."""
    cutoff: datetime = utcnow() - timedelta(seconds=stale_after)
    stale = await session.execute(
        select(Deployment).where(Deployment.status == "in_progress", Deployment.started_at < cutoff)
    )
    pending = await session.execute(
        select(Deployment.id).where(Deployment.status == "pending").order_by(Deployment.created_at)
    )
    return list(stale.scalars()), [str(i) for i in pending.scalars()]
