"""Deployments: create (one active per project), list, get, rollback, and the state changes.

A deployment moves ``pending → in_progress → completed | failed``; the background
:class:`~handlers.services.deployment_runner.DeploymentRunner` moves it. Its ``config`` is the
project's active config merged with the requested changes (RFC 7396) at creation; on
completion that config becomes the project's active config. A rollback is a new deployment of
the most recent earlier *completed* deployment with another version, so it restores that
version's config too.

Handlers and the runner use :class:`handlers.services.deployment_store.DeploymentStore`;
:func:`create_deployment` (in a caller's ORM session and transaction) and the ORM helpers
here serve callers that hold a session of their own (``examples/hexabase``).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.models import Project
from handlers.models_deployments import ACTIVE_STATUSES, Deployment
from handlers.services import deployment_events as events
from handlers.services.configuration import merge_patch, validated_config
from specway.errors import BadRequest, Conflict
from specway.ids import rfc3339, utcnow

# Semantic Versioning 2.0.0, with an optional leading "v" (the seed's "v1.0.0").
SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


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
    return events.record_event_data(deployment_to_dict(deployment))


def check_version(version: str) -> str:
    if not SEMVER.match(version):
        raise BadRequest(
            f"Invalid 'version': {version!r} is not a semantic version (e.g. v1.0.0 or 1.0.0)",
            details=[{"field": "version", "in": "body", "reason": "not a semantic version"}],
        )
    return version


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
