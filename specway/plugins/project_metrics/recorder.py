"""``TrafficRecorder``: per-project request counts, latencies and log lines, written in batches.

The request path only touches memory: :meth:`TrafficRecorder.record_request` adds to the
current minute's bucket of that project and appends a log line, both bounded (past the bound
new data is dropped and counted, never blocking a request). A background task flushes
everything in one transaction every ``project_metrics_flush_interval`` seconds, on shutdown,
and whenever a reader asks for fresh data (:meth:`flush`). Log lines are also handed at once
to live subscribers (the logs stream) of the same process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from specway.plugins.project_metrics import store
from specway.plugins.project_metrics.histogram import COLUMNS, bucket_index
from specway.storage.database import Database
from specway.tasks import cancel_and_wait

logger = logging.getLogger("specway.project_metrics")

LEVELS: tuple[str, ...] = ("debug", "info", "warn", "error")
PRUNE_EVERY = 3600.0
MAX_MESSAGE = 2000
# requests, errors, server_errors, then one counter per latency bucket.
_WIDTH = 3 + len(COLUMNS)

BucketKey = tuple[str, str, int]


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line of a project's log."""

    project_id: str
    organization_id: str
    timestamp: datetime
    level: str
    component: str
    message: str
    request_id: str | None = None

    @property
    def event_id(self) -> str:
        """Microseconds since the epoch: the SSE ``id`` a reconnecting client resumes after."""
        stamp = self.timestamp
        if stamp.tzinfo is None:  # SQLite hands back naive UTC
            stamp = stamp.replace(tzinfo=UTC)
        return str(int(stamp.timestamp() * 1_000_000))

    def to_dict(self) -> dict[str, Any]:
        return {
            "timestamp": format_timestamp(self.timestamp),
            "level": self.level,
            "component": self.component,
            "message": self.message,
            "request_id": self.request_id,
        }


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with milliseconds (``2024-02-26T12:00:00.123Z``)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def level_for_status(status: int) -> str:
    return "error" if status >= 500 else "warn" if status >= 400 else "info"


class TrafficRecorder:
    """Aggregates traffic in memory and flushes it to the database in batches."""

    def __init__(
        self,
        database: Database,
        *,
        flush_interval: float = 1.0,
        metrics_retention_days: int = 30,
        logs_retention_days: int = 7,
        max_pending_lines: int = 10_000,
        max_pending_buckets: int = 10_000,
        subscriber_queue: int = 1_000,
    ) -> None:
        self.database = database
        self.flush_interval = flush_interval
        self.metrics_retention_days = metrics_retention_days
        self.logs_retention_days = logs_retention_days
        self.max_pending_lines = max_pending_lines
        self.max_pending_buckets = max_pending_buckets
        self.subscriber_queue = subscriber_queue
        self.dropped = 0
        self._buckets: dict[BucketKey, list[int]] = {}
        self._lines: list[LogLine] = []
        self._subscribers: dict[tuple[str, str], set[asyncio.Queue[LogLine]]] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._last_prune: float | None = None

    # -- the request path: memory only ---------------------------------------------------

    def record_request(
        self,
        project_id: str,
        organization_id: str,
        *,
        method: str,
        path: str,
        status: int,
        latency_ms: float,
        request_id: str | None = None,
    ) -> datetime:
        """Count one request of ``project_id`` and log ``"<METHOD> <path> <status> <ms>ms"``.

        Returns the timestamp given to the log line.
        """
        now = time.time()
        key = (project_id, organization_id, int(now // 60))
        counters = self._buckets.get(key)
        if counters is None and len(self._buckets) < self.max_pending_buckets:
            counters = self._buckets[key] = [0] * _WIDTH
        if counters is None:
            self.dropped += 1
        else:
            counters[0] += 1
            if status >= 400:
                counters[1] += 1
            if status >= 500:
                counters[2] += 1
            counters[3 + bucket_index(latency_ms)] += 1
        timestamp = datetime.fromtimestamp(now, UTC)
        self.record_line(
            LogLine(
                project_id,
                organization_id,
                timestamp,
                level_for_status(status),
                "api",
                f"{method} {path} {status} {latency_ms:.0f}ms",
                request_id,
            )
        )
        return timestamp

    def record_line(self, line: LogLine) -> None:
        """Queue ``line`` for the database and hand it to live subscribers."""
        if len(line.message) > MAX_MESSAGE:
            line = LogLine(
                line.project_id,
                line.organization_id,
                line.timestamp,
                line.level,
                line.component,
                line.message[: MAX_MESSAGE - 3] + "...",
                line.request_id,
            )
        if len(self._lines) >= self.max_pending_lines:
            self.dropped += 1
        else:
            self._lines.append(line)
        for queue in self._subscribers.get((line.project_id, line.organization_id), ()):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(line)

    @contextlib.asynccontextmanager
    async def subscribe(
        self, project_id: str, organization_id: str
    ) -> AsyncIterator[asyncio.Queue[LogLine]]:
        """A queue receiving every new line of the project while the context is open.

        A subscriber that falls more than ``subscriber_queue`` lines behind misses lines
        rather than slowing requests down.
        """
        key = (project_id, organization_id)
        queue: asyncio.Queue[LogLine] = asyncio.Queue(self.subscriber_queue)
        self._subscribers.setdefault(key, set()).add(queue)
        try:
            yield queue
        finally:
            subscribers = self._subscribers.get(key)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._subscribers[key]

    # -- off the request path ---------------------------------------------------------------

    async def flush(self) -> None:
        """Write everything recorded so far in one transaction (callers may race; one lock)."""
        async with self._lock:
            buckets, lines = self._buckets, self._lines
            if not buckets and not lines:
                return
            self._buckets, self._lines = {}, []
            try:
                await self.database.transaction(
                    lambda connection: store.write(connection, buckets, lines)
                )
            except Exception:
                self._restore(buckets, lines)
                raise

    def _restore(self, buckets: dict[BucketKey, list[int]], lines: list[LogLine]) -> None:
        """Put back what a failed flush could not write, within the same bounds."""
        for key, counters in buckets.items():
            current = self._buckets.get(key)
            if current is not None:
                self._buckets[key] = [a + b for a, b in zip(current, counters, strict=True)]
            elif len(self._buckets) < self.max_pending_buckets:
                self._buckets[key] = counters
            else:
                self.dropped += counters[0]
        room = max(0, self.max_pending_lines - len(self._lines))
        self.dropped += max(0, len(lines) - room)
        self._lines = lines[:room] + self._lines

    async def prune(self) -> None:
        """Delete buckets and lines older than their retention."""
        now = datetime.now(UTC)
        metric_cutoff = int((now - timedelta(days=self.metrics_retention_days)).timestamp() // 60)
        log_cutoff = now - timedelta(days=self.logs_retention_days)
        await self.database.transaction(
            lambda connection: store.prune(connection, metric_cutoff, log_cutoff)
        )

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="specway-project-metrics")

    async def stop(self) -> None:
        """Stop the background task and flush what is left."""
        await cancel_and_wait(self._task)
        self._task = None
        try:
            await self.flush()
        except Exception:
            logger.warning("project metrics: final flush failed", exc_info=True)

    async def _run(self) -> None:
        while True:
            if self._last_prune is None or time.monotonic() - self._last_prune >= PRUNE_EVERY:
                self._last_prune = time.monotonic()
                try:
                    await self.prune()
                except Exception:
                    logger.warning("project metrics: pruning failed", exc_info=True)
            await asyncio.sleep(self.flush_interval)
            dropped, self.dropped = self.dropped, 0
            if dropped:
                logger.warning("project metrics: dropped %d records (buffers full)", dropped)
            try:
                await self.flush()
            except Exception:
                logger.warning("project metrics: flush failed; will retry", exc_info=True)
