"""Monitoring: time windows, metric series from traffic buckets, and log filters.

Series points are aligned to whole intervals counted from the Unix epoch; the first point is
the interval that contains ``start_time``, the last the one that contains ``end_time``. Empty
intervals report 0 requests and ``null`` latencies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from specway.errors import BadRequest
from specway.ids import rfc3339
from specway.plugins.project_metrics import LEVELS
from specway.plugins.project_metrics.histogram import quantile

INTERVALS: dict[str, int] = {"1m": 1, "5m": 5, "1h": 60}
MAX_POINTS = 10_000
DEFAULT_WINDOW = timedelta(hours=1)


def _bad(name: str, reason: str) -> BadRequest:
    return BadRequest(
        f"Invalid '{name}': {reason}", details=[{"field": name, "in": "query", "reason": reason}]
    )


def parse_time(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 / RFC 3339 timestamp (naive means UTC); 400 naming ``name`` otherwise."""
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise _bad(name, f"{value!r} is not an ISO 8601 timestamp") from None
    try:
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-14:00 is in year 10000 in UTC
        raise _bad(name, "out of range (0001-9999 in UTC)") from None


def time_window(
    start_time: str | None, end_time: str | None, *, default: timedelta | None = DEFAULT_WINDOW
) -> tuple[datetime | None, datetime | None]:
    """``(start, end)``; with a ``default`` span, ``end`` defaults to now and ``start`` to
    ``end - default``; without one, missing bounds stay open."""
    start = parse_time(start_time, "start_time")
    end = parse_time(end_time, "end_time")
    if end is None and default is not None:
        end = datetime.now(UTC)
    if start is None and default is not None and end is not None:
        if end - datetime.min.replace(tzinfo=UTC) < default:
            raise _bad("end_time", "too early: the default window starts before year 1")
        start = end - default
    if start is not None and end is not None and end <= start:
        raise _bad("end_time", "end_time must be after start_time")
    return start, end


def metrics_range(start_time: str | None, end_time: str | None) -> tuple[datetime, datetime]:
    """The window of a metrics query: the last hour unless given."""
    start, end = time_window(start_time, end_time, default=DEFAULT_WINDOW)
    if start is None or end is None:  # the default window always applies
        raise _bad("start_time", "required")
    return start, end


@dataclass(frozen=True, slots=True)
class SeriesWindow:
    """Which minutes a series covers: ``points`` slots of ``step`` minutes from ``first``."""

    first: int
    step: int
    points: int

    @property
    def end(self) -> int:
        return self.first + self.step * self.points


def series_window(start: datetime, end: datetime, interval: str) -> SeriesWindow:
    """The aligned window for ``interval``; 400 naming ``interval`` past 10,000 points."""
    step = INTERVALS.get(interval)
    if step is None:
        raise _bad("interval", f"use one of {', '.join(INTERVALS)}")
    first = math.floor(start.timestamp() / 60 / step) * step
    last = math.ceil(math.ceil(end.timestamp() / 60) / step) * step
    points = max(1, (last - first) // step)
    if points > MAX_POINTS:
        raise _bad(
            "interval",
            f"{points} points of {interval} between start_time and end_time; at most "
            f"{MAX_POINTS} per request (use a longer interval or a shorter range)",
        )
    return SeriesWindow(first, step, points)


def metric_series(window: SeriesWindow, rows: list[tuple[int, list[int]]]) -> dict[str, Any]:
    """The ``metrics`` object from per-slot counters (``store.COUNTERS`` order)."""
    by_slot = dict(rows)
    names = ("requests", "errors", "server_errors", "latency_p50_ms", "latency_p95_ms")
    values: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for slot in range(window.points):
        counters = by_slot.get(slot)
        timestamp = rfc3339(datetime.fromtimestamp((window.first + slot * window.step) * 60, UTC))
        histogram = counters[3:] if counters else []
        point = {
            "requests": counters[0] if counters else 0,
            "errors": counters[1] if counters else 0,
            "server_errors": counters[2] if counters else 0,
            "latency_p50_ms": quantile(0.5, histogram),
            "latency_p95_ms": quantile(0.95, histogram),
        }
        for name in names:
            values[name].append({"timestamp": timestamp, "value": point[name]})
    units = {
        "requests": "count",
        "errors": "count",
        "server_errors": "count",
        "latency_p50_ms": "ms",
        "latency_p95_ms": "ms",
    }
    return {name: {"unit": units[name], "values": values[name]} for name in names}


def levels_from(level: str | None) -> list[str] | None:
    """``level`` and every more severe level (``warn`` → warn, error); ``None`` for all."""
    if level is None:
        return None
    if level not in LEVELS:
        raise _bad("level", f"use one of {', '.join(LEVELS)}")
    return list(LEVELS[LEVELS.index(level) :])
