"""``Logs``: the lines a deployment's workload reports, and ``client.logs.stream(...)``.

``stream_deployment_logs`` is Server-Sent Events (:mod:`specway.sse`): one ``log`` event per
line, its ``id`` the line's position; a client reconnecting with ``Last-Event-ID`` first gets
the lines it missed, then the live ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from starlette.responses import StreamingResponse

from examples.hexabase.deployment_logs import LogFeed, LogLine, LogStore, read_lines
from handlers.services.batch import SCOPE_BATCH
from handlers.services.deployment_store import DeploymentStore
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

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _org() -> str | None:
    principal = context.principal()
    return principal.organization_id if principal else None


async def _deployment_id(deployment_id: str) -> str:
    """The id of a deployment of the caller's organisation (404 otherwise)."""
    found = await DeploymentStore(context.database()).get(_org(), deployment_id)
    return str(found["id"])


async def report_deployment_logs(deployment_id: str, body: dict[str, Any]) -> Response:
    """Store the lines the deployment's workload reports, then hand them to live streams."""
    deployment = await _deployment_id(deployment_id)
    lines = read_lines(body["lines"], _org(), deployment, datetime.now(UTC))
    stored = await LogStore(context.database()).store(lines)
    LogFeed.of(context.app_state()).publish(stored)
    return {"accepted": len(stored)}, 202


def _position(line: LogLine) -> int:
    return line.id or 0


async def stream_deployment_logs(deployment_id: str) -> StreamingResponse:
    """Server-Sent Events: one ``log`` event per line, resuming after ``Last-Event-ID``."""
    scope = context.current_scope()
    if scope.get(SCOPE_BATCH):
        raise BadRequest("A log stream can't be part of a batch")
    after = last_event_id(scope, position)
    deployment = await _deployment_id(deployment_id)
    org = _org()
    state = context.app_state()
    settings = state.settings

    async def missed() -> list[LogLine]:
        if after is None:
            return []
        return await LogStore(context.database()).after(org, deployment, after)

    async def events() -> AsyncIterator[Event | Ready]:
        async with LogFeed.of(state).subscribe(org, deployment) as queue:
            yield READY
            async for line in replay_then_live(queue, missed(), position=_position):
                yield Event(line.to_dict(), id=str(line.id), event="log")

    return event_stream(
        events(),
        heartbeat=settings.log_stream_heartbeat,
        max_seconds=settings.log_stream_max_seconds,
    )
