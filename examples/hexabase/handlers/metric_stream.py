"""``client.metrics.stream(workspace_id=..., metric=...)``: a workspace's samples as they arrive.

Server-Sent Events (:mod:`specway.sse`): one ``metric`` event per sample a workload reports
(``POST /v1/workspaces/{id}/metrics/samples``), its ``id`` the stored sample's; a client
reconnecting with ``Last-Event-ID`` first gets the samples it missed, then the live ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.responses import StreamingResponse

from examples.hexabase.metric_samples import SampleFeed, SampleStore, StoredSample
from handlers.services.batch import SCOPE_BATCH
from handlers.services.workspaces import WorkspaceStore
from specway import context
from specway.errors import BadRequest
from specway.sse import (
    READY,
    Event,
    Ready,
    event_stream,
    last_event_id,
    position,
    replay_then_live,
)


def _position(sample: StoredSample) -> int:
    return sample.id or 0


async def stream_workspace_metrics(workspace_id: str, metric: str) -> StreamingResponse:
    """One ``metric`` event per new sample of ``metric``, resuming after ``Last-Event-ID``."""
    scope = context.current_scope()
    if scope.get(SCOPE_BATCH):
        raise BadRequest("A metric stream can't be part of a batch")
    after = last_event_id(scope, position)
    principal = context.principal()
    org = principal.organization_id if principal else None
    database = context.database()
    workspace = (await WorkspaceStore(database).get(org, workspace_id))["id"]
    state = context.app_state()
    settings = state.settings

    async def missed() -> list[StoredSample]:
        if after is None:
            return []
        return await SampleStore(database).after(org, workspace, metric, after)

    async def events() -> AsyncIterator[Event | Ready]:
        async with SampleFeed.of(state).subscribe(org, workspace, metric) as queue:
            yield READY
            async for sample in replay_then_live(queue, missed(), position=_position):
                yield Event(sample.to_dict(), id=str(sample.id), event="metric")

    return event_stream(
        events(),
        heartbeat=settings.log_stream_heartbeat,
        max_seconds=settings.log_stream_max_seconds,
    )
