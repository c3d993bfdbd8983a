"""Where deployments announce themselves as webhook events.

``deployment.created`` is emitted in the transaction that creates a deployment,
``deployment.completed`` / ``deployment.failed`` in the one that finishes it, so an event
exists exactly when its change was committed (the webhooks plugin's outbox contract).

Events go to the webhooks outbox (``plugins.webhooks.emit_event``) in the caller's
transaction, so a rolled-back step emits nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.models_deployments import Deployment
from specway.plugins.webhooks import emit_event

logger = logging.getLogger("specway.deployments")

CREATED = "deployment.created"
COMPLETED = "deployment.completed"
FAILED = "deployment.failed"


async def emit_deployment_event(
    session: AsyncSession, event_type: str, deployment: Deployment, data: dict[str, Any]
) -> None:
    """Emit ``event_type`` for ``deployment`` in ``session``'s transaction.

    The organisation and project come from the row, not the request: completion and failure
    are emitted by the background runner, where no principal exists.
    """
    await emit_event(
        session,
        event_type,
        data,
        organization_id=deployment.organization_id,
        project_id=deployment.project_id,
    )
