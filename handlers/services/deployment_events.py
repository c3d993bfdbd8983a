"""Where deployments announce themselves as webhook events.

``deployment.created`` is emitted in the transaction that creates a deployment,
``deployment.completed`` / ``deployment.failed`` in the one that finishes it, so an event
exists exactly when its change was committed (the webhooks plugin's outbox contract).

WIRE AFTER MERGE: the webhooks plugin (``plugins.webhooks.emit_event(session, type, data)``)
is built on another branch. Until it is merged this function only logs; the lead replaces its
body with ``await emit_event(session, event_type, data)``. No delivery is faked here.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

logger = logging.getLogger("specway.deployments")

CREATED = "deployment.created"
COMPLETED = "deployment.completed"
FAILED = "deployment.failed"


async def emit_deployment_event(
    session: AsyncSession, event_type: str, data: dict[str, Any]
) -> None:
    """Emit ``event_type`` with ``data`` (``{"deployment": …}``) in ``session``'s transaction."""
    # WIRE AFTER MERGE: `from plugins.webhooks import emit_event`
    #                   `await emit_event(session, event_type, data)`
    logger.debug("event %s for %s (webhooks not wired)", event_type, data["deployment"]["id"])
