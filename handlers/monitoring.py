"""Handlers of the ``Monitoring`` tag: a project's metrics, logs and live log stream.

The traffic series are the gateway's own traffic for the project, recorded by the
``project_metrics`` plugin (readers flush what this process recorded first, so a request is
visible to the next read); ``cpu`` and ``memory`` are what the project's runtime reports
(:mod:`handlers.services.resource_samples`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, cast

from starlette.responses import StreamingResponse

from handlers.services import monitoring, resource_samples
from handlers.services.batch import SCOPE_BATCH
from handlers.services.projects import ProjectStore
from specway import context
from specway.errors import BadRequest, ServiceUnavailable
from specway.pagination import list_response, page_request
from specway.plugins.project_metrics import (
    SERVICE,
    LogLine,
    TrafficRecorder,
    format_timestamp,
    store,
)
from specway.sse import READY, Event, Ready, event_stream, last_event_id, replay_then_live

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]
REPLAY_LIMIT = 1000


def _org() -> str | None:
    principal = context.principal()
    return principal.organization_id if principal else None


def _recorder() -> TrafficRecorder:
    recorder = context.app_state().services.get(SERVICE)
    if recorder is None:
        raise ServiceUnavailable("Project metrics are off: enable the project_metrics plugin")
    return cast(TrafficRecorder, recorder)


async def _project_key(project_id: str) -> tuple[str, str]:
    """``(project id, organisation key)`` of a project visible to the caller (404 otherwise)."""
    project = await ProjectStore(context.database()).get(_org(), project_id)
    return project["id"], _org() or ""


async def get_project_metrics(
    project_id: str,
    start_time: str | None = None,
    end_time: str | None = None,
    interval: str = "1m",
) -> Response:
    start, end = monitoring.metrics_range(start_time, end_time)
    window = monitoring.series_window(start, end, interval)
    recorder = _recorder()
    project, org = await _project_key(project_id)
    await recorder.flush()
    database = context.database()
    rows = await store.series(database, project, org, window.first, window.end, window.step)
    resources = await resource_samples.resource_series(database, _org(), project, window)
    body = {
        "project_id": project,
        "start_time": format_timestamp(start),
        "end_time": format_timestamp(end),
        "interval": interval,
        "metrics": {**monitoring.metric_series(window, rows), **resources},
    }
    return body, 200


async def record_resource_samples(project_id: str, body: dict[str, Any]) -> Response:
    """Store the CPU and memory samples the project's runtime reports (one statement)."""
    samples = resource_samples.read_samples(body["samples"], datetime.now(UTC))
    project, _ = await _project_key(project_id)
    await resource_samples.store_samples(context.database(), _org(), project, samples)
    return {"accepted": len(samples)}, 202


def _line_dict(row: Any) -> dict[str, Any]:
    return {
        "timestamp": format_timestamp(row.timestamp),
        "level": row.level,
        "component": row.component,
        "message": row.message,
        "request_id": row.request_id,
    }


async def get_project_logs(
    project_id: str,
    start_time: str | None = None,
    end_time: str | None = None,
    level: str | None = None,
    component: str | None = None,
    page: int | None = None,
    per_page: int | None = None,
    order: str = "desc",
) -> Response:
    start, end = monitoring.time_window(start_time, end_time, default=None)
    levels = monitoring.levels_from(level)
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    recorder = _recorder()
    project, org = await _project_key(project_id)
    await recorder.flush()
    rows, total = await store.read_logs(
        context.database(),
        project,
        org,
        start=start,
        end=end,
        levels=levels,
        component=component,
        descending=order != "asc",
        offset=request.offset,
        limit=request.per_page,
    )
    items = [_line_dict(row) for row in rows]
    query = {
        "start_time": start_time,
        "end_time": end_time,
        "level": level,
        "component": component,
        "order": order,
    }
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


def _line_event(line: LogLine) -> Event:
    return Event(line.to_dict(), id=line.event_id, event="log")


def _position(line: LogLine) -> int:
    return int(line.event_id)


async def stream_project_logs(
    project_id: str, level: str | None = None, component: str | None = None
) -> StreamingResponse:
    """Server-Sent Events: one ``log`` event per new line, resuming after ``Last-Event-ID``."""
    if context.current_scope().get(SCOPE_BATCH):
        raise BadRequest("A log stream can't be part of a batch")
    levels = monitoring.levels_from(level)
    last_id = last_event_id(context.current_scope(), int)
    recorder = _recorder()
    project, org = await _project_key(project_id)
    settings = context.app_state().settings

    def wanted(line: LogLine) -> bool:
        return (levels is None or line.level in levels) and (
            component is None or line.component == component
        )

    async def replay(after: int | None) -> list[LogLine]:
        if after is None:
            return []
        await recorder.flush()
        since = datetime.fromtimestamp(after / 1_000_000, UTC)
        rows, _ = await store.read_logs(
            context.database(),
            project,
            org,
            start=since,
            end=None,
            levels=levels,
            component=component,
            descending=False,
            limit=REPLAY_LIMIT,
        )
        lines = [
            LogLine(project, org, r.timestamp, r.level, r.component, r.message, r.request_id)
            for r in rows
        ]
        return [line for line in lines if int(line.event_id) > after]

    async def events() -> AsyncIterator[Event | Ready]:
        async with recorder.subscribe(project, org) as queue:
            yield READY
            async for line in replay_then_live(queue, replay(last_id), position=_position):
                if wanted(line):
                    yield _line_event(line)

    return event_stream(
        events(),
        heartbeat=settings.log_stream_heartbeat,
        max_seconds=settings.log_stream_max_seconds,
    )
