"""``Metrics``: workload samples reported per workspace, and ``client.metrics.query(...)``.

Samples are stored, then (after the commit) published to live subscribers and checked against
the organisation's alert rules (:mod:`examples.hexabase.alert_rules`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from examples.hexabase import alert_rules
from examples.hexabase.handlers.metric_stream import stream_workspace_metrics
from examples.hexabase.metric_samples import SampleFeed, query_series, read_samples, store_samples
from handlers.services import workspaces as workspace_service
from specway import context

__all__ = ["query_workspace_metrics", "report_metric_samples", "stream_workspace_metrics"]

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _org() -> str | None:
    principal = context.principal()
    return principal.organization_id if principal else None


async def report_metric_samples(workspace_id: str, body: dict[str, Any]) -> Response:
    now = datetime.now(UTC)
    async with context.database().session() as session, session.begin():
        workspace = await workspace_service.get_workspace(session, _org(), workspace_id)
        samples = read_samples(body["samples"], _org(), workspace.id, now)
        samples = await store_samples(session, samples)
        fired = await alert_rules.evaluate(session, _org(), {s.metric for s in samples}, now)
    SampleFeed.of(context.app_state()).publish(samples)
    return {"accepted": len(samples), "alerts_triggered": fired}, 202


async def query_workspace_metrics(
    workspace_id: str,
    metric: str,
    period: str = "1h",
    aggregation: str = "avg",
    deployment_id: str | None = None,
) -> Response:
    async with context.database().session() as session:
        workspace = await workspace_service.get_workspace(session, _org(), workspace_id)
        body = await query_series(
            session,
            _org(),
            workspace.id,
            metric=metric,
            period=period,
            aggregation=aggregation,
            deployment_id=deployment_id,
            now=datetime.now(UTC),
        )
    return body, 200
