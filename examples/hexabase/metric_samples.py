"""Workload metric samples of a workspace: stored as reported, queried in buckets, published live.

The gateway sees traffic, not processes: ``cpu_usage`` and ``memory_usage`` come from the
workload itself (the deployment runner, an agent, a sidecar), pushed to
``POST /v1/workspaces/{workspace_id}/metrics/samples``. Nothing is made up: a bucket without
samples has ``value: null``.

Live subscribers (``client.metrics.stream``) read the same samples through :class:`SampleFeed`,
the app's ``"hexabase_samples"`` service: the ingestion handler calls :meth:`SampleFeed.publish`
after its transaction commits, and a stream handler does::

    feed = SampleFeed.of(context.app_state())
    async with feed.subscribe(organization_id, workspace_id, metric="cpu_usage") as queue:
        while True:
            sample = await queue.get()  # a StoredSample, in report order

Each subscriber has its own bounded queue; a subscriber that falls more than ``QUEUE_SIZE``
samples behind loses the oldest ones (``dropped`` counts them) rather than slowing ingestion.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Integer, Table, bindparam, func, insert, select
from sqlalchemy.engine import Connection

from examples.hexabase.models import MetricSample
from specway.errors import BadRequest
from specway.ids import rfc3339
from specway.storage.database import Database
from specway.storage.prepared import Prepared

SERVICE = "hexabase_samples"
QUEUE_SIZE = 1000
REPLAY_LIMIT = 1000  # samples a reconnecting stream reads back at most
# Metric name -> unit.
METRICS: dict[str, str] = {"cpu_usage": "percent", "memory_usage": "MiB"}
# Period -> (minutes covered, bucket minutes): at most a few hundred points per query.
PERIODS: dict[str, tuple[int, int]] = {
    "1h": (60, 1),
    "6h": (360, 5),
    "24h": (1440, 15),
    "7d": (10080, 60),
    "30d": (43200, 360),
}
AGGREGATES: dict[str, Callable[..., Any]] = {
    "avg": func.avg,
    "min": func.min,
    "max": func.max,
    "sum": func.sum,
}
MAX_AGE = timedelta(days=30)
MAX_AHEAD = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class StoredSample:
    """One sample as stored and as published to live subscribers."""

    organization_id: str | None
    workspace_id: str
    deployment_id: str | None
    metric: str
    measured_at: datetime
    value: float
    # The stored row's id once stored: the SSE event id ``client.metrics.stream`` resumes after.
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "workspace_id": self.workspace_id,
            "deployment_id": self.deployment_id,
            "metric": self.metric,
            "unit": METRICS.get(self.metric),
            "timestamp": rfc3339(self.measured_at),
            "value": self.value,
        }


def bad_field(field_name: str, reason: str) -> BadRequest:
    """400 naming ``field_name`` in the API's validation details."""
    return BadRequest(
        f"Invalid '{field_name}': {reason}",
        details=[{"field": field_name, "in": "body", "reason": reason}],
    )


def _parse_time(raw: Any, where: str) -> datetime | None:
    if raw is None:
        return None
    try:
        at = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise bad_field(where, "not an RFC 3339 date-time") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def read_samples(
    raw: Sequence[dict[str, Any]],
    organization_id: str | None,
    workspace_id: str,
    now: datetime,
) -> list[StoredSample]:
    """The request's samples (the schema has checked names and types); 400 naming the sample
    for a timestamp that is unreadable, older than 30 days or more than 5 minutes ahead."""
    out = []
    for index, sample in enumerate(raw):
        where = f"samples.{index}.timestamp"
        at = _parse_time(sample.get("timestamp"), where) or now
        if at < now - MAX_AGE:
            raise bad_field(where, "older than 30 days")
        if at > now + MAX_AHEAD:
            raise bad_field(where, "more than 5 minutes in the future")
        deployment = sample.get("deployment_id")
        out.append(
            StoredSample(
                organization_id,
                workspace_id,
                None if deployment is None else str(deployment),
                str(sample["metric"]),
                at,
                float(sample["value"]),
            )
        )
    return out


_SAMPLES = cast(Table, MetricSample.__table__)
# A batch of samples and their new ids, in the order given (RETURNING, one statement).
_INSERT = insert(_SAMPLES).returning(_SAMPLES.c.id, sort_by_parameter_order=True)


def insert_samples(connection: Connection, samples: Sequence[StoredSample]) -> list[StoredSample]:
    """All of ``samples`` in one statement, in the caller's ``Database.transaction``, returned
    with their ids (the caller publishes them once committed)."""
    rows = [
        {
            "organization_id": s.organization_id,
            "workspace_id": s.workspace_id,
            "deployment_id": s.deployment_id,
            "metric": s.metric,
            "minute": int(s.measured_at.timestamp() // 60),
            "measured_at": s.measured_at,
            "value": s.value,
        }
        for s in samples
    ]
    if not rows:
        return []
    ids = connection.execute(_INSERT, rows).scalars().all()
    return [replace(s, id=int(i)) for s, i in zip(samples, ids, strict=True)]


def _scope(no_org: bool, workspace: bool) -> list[ColumnElement[bool]]:
    """The organisation's samples of ``metric`` (of ``workspace_id`` when ``workspace``)."""
    org = _SAMPLES.c.organization_id
    where = [org.is_(None) if no_org else org == bindparam("org")]
    where.append(_SAMPLES.c.metric == bindparam("metric"))
    if workspace:
        where.append(_SAMPLES.c.workspace_id == bindparam("workspace_id"))
    return where


@functools.cache
def _series(aggregation: str, no_org: bool, deployment: bool) -> tuple[Prepared, Prepared]:
    """``(per bucket, overall)`` of one shape of :meth:`SampleStore.series`."""
    minute = _SAMPLES.c.minute
    first = bindparam("first", type_=Integer)
    where = [*_scope(no_org, True), minute >= first, minute < bindparam("last", type_=Integer)]
    if deployment:
        where.append(_SAMPLES.c.deployment_id == bindparam("deployment_id"))
    aggregate = AGGREGATES[aggregation](_SAMPLES.c.value)
    slot = ((minute - first) // bindparam("step", type_=Integer)).label("slot")
    per_slot = select(slot, aggregate.label("value"), func.count().label("samples"))
    overall = select(aggregate.label("value"), func.count().label("samples"))
    return Prepared(per_slot.where(*where).group_by(slot)), Prepared(overall.where(*where))


@functools.cache
def _since(aggregation: str, no_org: bool, workspace: bool) -> Prepared:
    """The aggregate of one metric's samples measured at or after ``since``."""
    value = AGGREGATES[aggregation](_SAMPLES.c.value).label("value")
    where = [*_scope(no_org, workspace), _SAMPLES.c.measured_at >= bindparam("since")]
    return Prepared(select(value).where(*where))


@functools.cache
def _after(no_org: bool) -> Prepared:
    """A workspace's samples of one metric stored after id ``after``, oldest first."""
    columns = _SAMPLES.c
    query = (
        select(
            columns.workspace_id,
            columns.deployment_id,
            columns.measured_at,
            columns.value,
            columns.id,
        )
        .where(*_scope(no_org, True), columns.id > bindparam("after", type_=Integer))
        .order_by(columns.id)
        .limit(REPLAY_LIMIT)
    )
    return Prepared(query)


def aggregate_since(
    connection: Connection,
    organization_id: str | None,
    workspace_id: str | None,
    *,
    metric: str,
    aggregation: str,
    since: datetime,
) -> float | None:
    """``aggregation`` of the samples measured at or after ``since`` (every workspace of the
    organisation when ``workspace_id`` is ``None``), in the caller's transaction; ``None``
    without samples."""
    params = {"org": organization_id, "metric": metric, "since": since}
    if workspace_id is not None:
        params["workspace_id"] = workspace_id
    statement = _since(aggregation, organization_id is None, workspace_id is not None)
    value = statement.rows(connection, params)[0].value
    return None if value is None else float(value)


class SampleStore:
    """The samples of one database, read as ``client.metrics.query`` and the metric stream
    show them (writes go through :func:`insert_samples`, with the alert rules' evaluation)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def series(
        self,
        organization_id: str | None,
        workspace_id: str,
        *,
        metric: str,
        period: str,
        aggregation: str,
        deployment_id: str | None,
        now: datetime,
    ) -> dict[str, Any]:
        """``aggregation`` of ``metric`` per bucket over the last ``period``: the body of
        ``client.metrics.query(...)``; 400 naming ``period`` when it is not one of
        :data:`PERIODS`."""
        if period not in PERIODS:
            reason = f"use one of {', '.join(PERIODS)}"
            raise BadRequest(
                f"Invalid 'period': {reason}",
                details=[{"field": "period", "in": "query", "reason": reason}],
            )
        minutes, step = PERIODS[period]
        last = int(now.timestamp() // 60) // step * step + step
        first = last - (minutes // step) * step
        params: dict[str, Any] = {
            "org": organization_id,
            "workspace_id": workspace_id,
            "metric": metric,
            "first": first,
            "last": last,
            "step": step,
        }
        if deployment_id is not None:
            params["deployment_id"] = deployment_id
        per_slot, overall = _series(aggregation, organization_id is None, deployment_id is not None)
        found = {
            int(row.slot): (float(row.value), int(row.samples))
            for row in await self.database.rows(per_slot, params)
        }
        total = (await self.database.rows(overall, params))[0]
        points = []
        for index in range((last - first) // step):
            value, samples = found.get(index, (None, 0))
            stamp = rfc3339(datetime.fromtimestamp((first + index * step) * 60, UTC))
            rounded = None if value is None else round(value, 3)
            points.append({"timestamp": stamp, "value": rounded, "samples": samples})
        return {
            "workspace_id": workspace_id,
            "deployment_id": deployment_id,
            "metric": metric,
            "unit": METRICS[metric],
            "period": period,
            "aggregation": aggregation,
            "interval": f"{step}m",
            "start_time": rfc3339(datetime.fromtimestamp(first * 60, UTC)),
            "end_time": rfc3339(datetime.fromtimestamp(last * 60, UTC)),
            "value": None if total.value is None else round(float(total.value), 3),
            "samples": int(total.samples),
            "data": points,
        }

    async def after(
        self, organization_id: str | None, workspace_id: str, metric: str, after: int
    ) -> list[StoredSample]:
        """The workspace's samples of ``metric`` stored after sample ``after``, oldest first
        (at most :data:`REPLAY_LIMIT`): what a reconnecting stream missed."""
        params = {"org": organization_id, "workspace_id": workspace_id, "metric": metric}
        rows = await self.database.rows(_after(organization_id is None), {**params, "after": after})
        return [
            StoredSample(
                organization_id,
                r.workspace_id,
                r.deployment_id,
                metric,
                r.measured_at,
                float(r.value),
                int(r.id),
            )
            for r in rows
        ]


@dataclass(eq=False)
class _Subscriber:
    organization_id: str | None
    workspace_id: str
    metric: str | None
    queue: asyncio.Queue[StoredSample] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE)
    )
    dropped: int = 0


class SampleFeed:
    """In-process publish/subscribe of committed samples, per workspace (and metric)."""

    def __init__(self) -> None:
        self._subscribers: set[_Subscriber] = set()

    @staticmethod
    def of(state: Any) -> SampleFeed:
        """The app's feed (``state.services["hexabase_samples"]``)."""
        return cast(SampleFeed, state.services[SERVICE])

    @asynccontextmanager
    async def subscribe(
        self, organization_id: str | None, workspace_id: str, metric: str | None = None
    ) -> AsyncIterator[asyncio.Queue[StoredSample]]:
        """A queue that receives every sample published for ``workspace_id`` (of ``metric``
        only, when given) until the block exits."""
        subscriber = _Subscriber(organization_id, workspace_id, metric)
        self._subscribers.add(subscriber)
        try:
            yield subscriber.queue
        finally:
            self._subscribers.discard(subscriber)

    def publish(self, samples: Sequence[StoredSample]) -> None:
        """Hand ``samples`` (already committed) to the matching subscribers, never blocking."""
        for sample in samples:
            for sub in self._subscribers:
                if (sub.organization_id, sub.workspace_id) != (
                    sample.organization_id,
                    sample.workspace_id,
                ) or (sub.metric is not None and sub.metric != sample.metric):
                    continue
                if sub.queue.full():
                    sub.queue.get_nowait()
                    sub.dropped += 1
                sub.queue.put_nowait(sample)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)
