"""Where deployments announce themselves as webhook events.

``deployment.created`` is emitted in the transaction that creates a deployment,
``deployment.completed`` / ``deployment.failed`` in the one that finishes it, so an event
exists exactly when its change was committed (the webhooks plugin's outbox contract).

Events go to the webhooks outbox with the write they announce, in the same transaction
(:func:`write_deployment_event`, ``write_with_event``). A rolled-back step emits nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from specway.plugins.webhooks.outbox import write_with_event
from specway.plugins.webhooks.service import WebhookService
from specway.storage.database import Database, Write

CREATED = "deployment.created"
COMPLETED = "deployment.completed"
FAILED = "deployment.failed"


def record_event_data(record: dict[str, Any]) -> dict[str, Any]:
    """``data`` of the ``deployment.*`` events, from the deployment as a response shows it."""
    body = dict(record)
    environment = (record.get("config") or {}).get("environment")
    if environment:
        body["environment"] = environment
    body["completed_at"] = body["finished_at"] if record["status"] == "completed" else None
    return {"deployment": body}


async def write_deployment_event(
    database: Database,
    webhooks: WebhookService | None,
    writes: Sequence[Write],
    event_type: str,
    record: dict[str, Any],
    organization_id: str | None,
) -> None:
    """``writes`` and the ``event_type`` event of the deployment ``record``, committed
    together. The organisation is the row's (the runner has no principal)."""
    await write_with_event(
        database,
        webhooks,
        writes,
        event_type,
        record_event_data(record),
        organization_id=organization_id,
        project_id=record["project_id"],
    )
