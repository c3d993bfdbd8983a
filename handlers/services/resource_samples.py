"""Resource samples: what a project's runtime reports about itself, averaged into series.

The gateway sees a project's traffic, not its processes: CPU and memory come from the project's
own runtime (an agent, a sidecar, the deploy tooling), pushed to
``POST /v1/projects/{project_id}/metrics/samples``. Nothing is made up: an interval without
samples is ``null``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Integer, Table, bindparam, func, insert, select

from handlers.models_monitoring import ResourceSample
from handlers.services.monitoring import SeriesWindow, parse_time
from specway.errors import BadRequest
from specway.ids import rfc3339
from specway.storage.database import Database
from specway.storage.prepared import Prepared

# Metric name -> unit, in the order series are shown.
RESOURCES: dict[str, str] = {"cpu": "percent", "memory": "MiB"}
MAX_AGE = timedelta(days=30)
MAX_AHEAD = timedelta(minutes=5)


def _bad(index: int, field: str, reason: str) -> BadRequest:
    where = f"samples.{index}.{field}"
    return BadRequest(
        f"Invalid '{where}': {reason}", details=[{"field": where, "in": "body", "reason": reason}]
    )


def read_samples(raw: Sequence[dict[str, Any]], now: datetime) -> list[tuple[str, datetime, float]]:
    """``(metric, measured_at, value)`` per sample (the schema has checked names and types);
    400 naming the sample for a timestamp that is unreadable, too old or in the future."""
    out = []
    for index, sample in enumerate(raw):
        at = parse_time(sample.get("timestamp"), f"samples.{index}.timestamp") or now
        if at < now - MAX_AGE:
            raise _bad(index, "timestamp", "older than 30 days")
        if at > now + MAX_AHEAD:
            raise _bad(index, "timestamp", "more than 5 minutes in the future")
        out.append((str(sample["metric"]), at, float(sample["value"])))
    return out


_SAMPLES = cast(Table, ResourceSample.__table__)
_INSERT = Prepared(insert(_SAMPLES))


@functools.cache
def _series_statement(no_org: bool) -> Prepared:
    """The means per metric and slot; samples of no organisation (authentication off) when
    ``no_org``."""
    org = _SAMPLES.c.organization_id
    first = bindparam("first", type_=Integer)
    slot = ((_SAMPLES.c.minute - first) // bindparam("step", type_=Integer)).label("slot")
    return Prepared(
        select(_SAMPLES.c.metric, slot, func.avg(_SAMPLES.c.value))
        .where(
            _SAMPLES.c.project_id == bindparam("project_id"),
            org.is_(None) if no_org else org == bindparam("organization_id"),
            _SAMPLES.c.minute >= first,
            _SAMPLES.c.minute < bindparam("end", type_=Integer),
        )
        .group_by(_SAMPLES.c.metric, slot)
    )


async def store_samples(
    database: Database,
    organization_id: str | None,
    project_id: str,
    samples: list[tuple[str, datetime, float]],
) -> None:
    """All of ``samples`` in one write."""
    rows = [
        {
            "organization_id": organization_id,
            "project_id": project_id,
            "metric": metric,
            "minute": int(at.timestamp() // 60),
            "measured_at": at,
            "value": value,
        }
        for metric, at, value in samples
    ]
    await database.write([(_INSERT, rows)])


async def resource_series(
    database: Database, organization_id: str | None, project_id: str, window: SeriesWindow
) -> dict[str, Any]:
    """``{cpu: {unit, values}, memory: {unit, values}}``: the mean of each interval's samples
    (``null`` where there are none), one point per interval of ``window``."""
    params = {
        "project_id": project_id,
        "organization_id": organization_id,
        "first": window.first,
        "step": window.step,
        "end": window.end,
    }
    rows = await database.rows(_series_statement(organization_id is None), params)
    means = {(m, int(s)): float(v) for m, s, v in rows}
    series: dict[str, Any] = {}
    for metric, unit in RESOURCES.items():
        values = []
        for index in range(window.points):
            minute = window.first + index * window.step
            stamp = rfc3339(datetime.fromtimestamp(minute * 60, UTC))
            mean = means.get((metric, index))
            values.append({"timestamp": stamp, "value": None if mean is None else round(mean, 3)})
        series[metric] = {"unit": unit, "values": values}
    return series
