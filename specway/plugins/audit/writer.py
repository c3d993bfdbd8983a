"""``AuditWriter``: audit rows leave the request path through a bounded queue, in batches.

A request only does ``put_nowait``; one background task takes whatever has queued up (up to
``batch_size`` rows) and inserts it in one statement, so under load batches grow by themselves.
Writes are paced: a batch starts at least ``min_interval`` after the previous one started, so a
steady stream of requests makes a few large transactions a second instead of one small one per
loop turn (each commit and the WAL pages it dirties cost far more than a row). An idle writer
writes its first row at once; under load a row waits at most ``min_interval`` plus one write.
:meth:`flush` and :meth:`stop` cut the wait short.
A full queue drops the row, counts it and logs (at most every few seconds); it never blocks or
fails the request. :meth:`stop` drains the queue on a graceful shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError

from specway.plugins.audit.models import AuditLog
from specway.plugins.metrics import counters
from specway.storage.database import Database
from specway.storage.prepared import Prepared
from specway.tasks import cancel_and_wait

AUDIT_TABLE = cast(Table, AuditLog.__table__)
_INSERT = Prepared(insert(AUDIT_TABLE))

logger = logging.getLogger("specway.audit")

Row = dict[str, Any]
_RETRY_DELAYS = (0.2, 1.0)
_DROP_LOG_EVERY = 10.0


class AuditWriter:
    """Queues audit rows and writes them to ``database`` in batches."""

    def __init__(
        self,
        database: Database,
        *,
        max_queue: int = 10_000,
        batch_size: int = 500,
        min_interval: float = 0.05,
        shutdown_timeout: float = 10.0,
    ) -> None:
        self.database = database
        self.max_queue = max_queue
        self.batch_size = batch_size
        self.min_interval = min_interval
        self.shutdown_timeout = shutdown_timeout
        self.queue: asyncio.Queue[Row] | None = None
        self._hurry = asyncio.Event()  # set while flush or stop waits for rows to be written
        self._queued = 0  # rows accepted by submit, ever
        self._settled = 0  # of those, rows written or given up on (in queue order)
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []  # (rows to settle, flush)
        self.task: asyncio.Task[None] | None = None
        self.dropped = 0
        self.written = 0
        self._last_drop_log = 0.0

    def submit(self, row: Row) -> bool:
        """Queue ``row``; ``False`` (counted and logged) when the queue is full or stopped."""
        if self.queue is not None and self.task is not None:
            try:
                self.queue.put_nowait(row)
                self._queued += 1
                return True
            except asyncio.QueueFull:
                pass
        self._drop(1, "queue full" if self.task is not None else "writer not running")
        return False

    async def start(self) -> None:
        """Create the queue and the background task (in the serving event loop)."""
        self.queue = asyncio.Queue(self.max_queue)
        self._hurry = asyncio.Event()  # a new one per start: bound to its loop on first use
        self.task = asyncio.create_task(self._run(self.queue), name="specway-audit-writer")

    async def flush(self) -> None:
        """Wait until every row queued so far is written (or given up on).

        Rows queued after the call are not waited for, so a steady stream of requests cannot
        keep a flush waiting; the pacing pause is cut short while any flush waits.
        """
        if self.queue is None or self.task is None or self._settled >= self._queued:
            return
        waiter = asyncio.get_running_loop().create_future()
        entry = (self._queued, waiter)
        self._waiters.append(entry)
        self._hurry.set()
        try:
            await waiter
        finally:
            if entry in self._waiters:  # cancelled before its rows settled
                self._waiters.remove(entry)
                self._release()

    async def stop(self) -> None:
        """Write what is queued (up to ``shutdown_timeout``), then end the background task."""
        task, self.task = self.task, None
        if task is None or self.queue is None:
            return
        self._hurry.set()
        try:
            await asyncio.wait_for(self.queue.join(), self.shutdown_timeout)
        except TimeoutError:
            left = self.queue.qsize()
            self._drop(left, "shutdown timeout")
        await cancel_and_wait(task)
        # What is left was dropped, so given up on: no flush waits for it, now or after a
        # restart (start() makes a new queue).
        self._settled = self._queued
        self._release()

    async def _run(self, queue: asyncio.Queue[Row]) -> None:
        last_start = -math.inf
        while True:
            batch = [await queue.get()]
            wait = last_start + self.min_interval - time.monotonic()
            if wait > 0 and queue.qsize() + 1 < self.batch_size and not self._hurry.is_set():
                await self._pause(wait)  # let the batch fill; a full one goes at once
            last_start = time.monotonic()
            while len(batch) < self.batch_size and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await self._write(batch)
            finally:
                for _ in batch:
                    queue.task_done()
                self._settled += len(batch)
                self._release()

    def _release(self) -> None:
        """Wake the flushes whose rows are all settled."""
        waiting = []
        for target, waiter in self._waiters:
            if target <= self._settled:
                if not waiter.done():
                    waiter.set_result(None)
            else:
                waiting.append((target, waiter))
        self._waiters = waiting
        if not waiting and self.task is not None:
            self._hurry.clear()

    async def _pause(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if a :meth:`flush` or :meth:`stop` is waiting."""
        try:
            async with asyncio.timeout(seconds):
                await self._hurry.wait()
        except TimeoutError:
            pass

    async def _write(self, batch: list[Row]) -> None:
        for attempt, delay in enumerate((*_RETRY_DELAYS, None)):
            try:
                # One executemany in one transaction (one round trip on PostgreSQL).
                await self.database.write([(_INSERT, batch)])
            except IntegrityError:
                # A row the table refuses (a duplicate id, say) must not cost the whole batch.
                await self._write_each(batch)
                return
            except Exception as exc:
                counters.backend_error("database", "audit")
                if delay is None:
                    logger.error(
                        "audit write failed, %d rows lost: %s", len(batch), type(exc).__name__
                    )
                    self._drop(len(batch), "write failed", log=False)
                    return
                logger.warning(
                    "audit write failed (attempt %d): %s", attempt + 1, type(exc).__name__
                )
                await asyncio.sleep(delay)
            else:
                self._written(len(batch))
                return

    async def _write_each(self, batch: list[Row]) -> None:
        """Each row in its own transaction (SQLite groups them into one commit again)."""
        outcomes = await asyncio.gather(
            *(self.database.write([(_INSERT, row)]) for row in batch),
            return_exceptions=True,
        )
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        self._written(len(batch) - len(failed))
        if failed:
            counters.backend_error("database", "audit")
            logger.error(
                "audit rows refused by the database, %d lost: %s",
                len(failed),
                type(failed[0]).__name__,  # never the values: they may hold secrets
            )
            self._drop(len(failed), "refused", log=False)

    def _written(self, count: int) -> None:
        if count > 0:
            self.written += count
            counters.audit_events("written", count)

    def _drop(self, count: int, reason: str, *, log: bool = True) -> None:
        if count <= 0:
            return
        self.dropped += count
        counters.audit_events("dropped", count)
        now = time.monotonic()
        if log and now - self._last_drop_log >= _DROP_LOG_EVERY:
            self._last_drop_log = now
            logger.warning(
                "audit events dropped (%s): %d so far",
                reason,
                self.dropped,
                extra={"dropped": count},
            )
