"""``Metrics``: workload samples reported per workspace, and ``client.metrics.query(...)``.

Samples are stored and checked against the organisation's alert rules
(:mod:`examples.hexabase.alert_rules`) in one transaction, then published to live subscribers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from examples.hexabase import alert_rules
from examples.hexabase.handlers.metric_stream import stream_workspace_metrics
from examples.hexabase.metric_samples import (
    SampleFeed,
    SampleStore,
    StoredSample,
    insert_samples,
    read_samples,
)
from handlers.services.workspaces import WorkspaceStore
from specway import context

__all__ = ["query_workspace_metrics", "report_metric_samples", "stream_workspace_metrics"]

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _org() -> str | None:
    principal = context.principal()
    return principal.organization_id if principal else None


async def report_metric_samples(workspace_id: str, body: dict[str, Any]) -> Response:
    now = datetime.now(UTC)
    org = _org()
    database = context.database()
    workspace = await WorkspaceStore(database).get(org, workspace_id)
    samples = read_samples(body["samples"], org, workspace["id"], now)
    webhooks = context.app_state().services.get("webhooks")

    def ingest(connection: Connection) -> tuple[list[StoredSample], list[str], bool]:
        stored = insert_samples(connection, samples)
        metrics = {s.metric for s in stored}
        fired, queued = alert_rules.evaluate(connection, webhooks, org, metrics, now)
        return stored, fired, queued

    stored, fired, queued = await database.transaction(ingest)
    if queued and webhooks is not None:
        webhooks.notify()
    SampleFeed.of(context.app_state()).publish(stored)
    return {"accepted": len(stored), "alerts_triggered": fired}, 202


async def query_workspace_metrics(
    workspace_id: str,
    metric: str,
    period: str = "1h",
    aggregation: str = "avg",
    deployment_id: str | None = None,
) -> Response:
    database = context.database()
    workspace = await WorkspaceStore(database).get(_org(), workspace_id)
    body = await SampleStore(database).series(
        _org(),
        workspace["id"],
        metric=metric,
        period=period,
        aggregation=aggregation,
        deployment_id=deployment_id,
        now=datetime.now(UTC),
    )
    return body, 200
