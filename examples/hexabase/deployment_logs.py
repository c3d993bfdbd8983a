"""A deployment's log: the lines its workload reports, stored in order and published live.

Like metric samples, lines come from the workload (an agent or sidecar pushes them to
``POST /v1/deployments/{deployment_id}/logs``); nothing is made up. Each stored line's ``id``
is its position in the deployment's log and the SSE event id ``client.logs.stream(...)``
resumes after: a reconnecting stream reads the lines after it (:meth:`LogStore.after`), then the
live ones :class:`LogFeed` hands it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from examples.hexabase.metric_samples import MAX_AGE, MAX_AHEAD, bad_field
from handlers import models_deployments as _deployments  # noqa: F401 - ``deployments``, FK target
from specway.ids import rfc3339
from specway.storage import Base
from specway.storage.database import Database
from specway.storage.prepared import Prepared

SERVICE = "hexabase_deployment_logs"
QUEUE_SIZE = 1000
REPLAY_LIMIT = 1000


class DeploymentLogRow(Base):
    """One line a deployment's workload reported; ``id`` orders the deployment's log."""

    __tablename__ = "hexabase_deployment_logs"
    __table_args__ = (Index("ix_hexabase_deployment_logs_deployment", "deployment_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organization_id: Mapped[str | None] = mapped_column(String(40))
    deployment_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("deployments.id", ondelete="CASCADE")
    )
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    level: Mapped[str] = mapped_column(String(8))
    message: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line of a deployment's log, as stored (``id`` once stored) and as streamed."""

    organization_id: str | None
    deployment_id: str
    timestamp: datetime
    level: str
    message: str
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "deployment_id": self.deployment_id,
            "timestamp": rfc3339(self.timestamp),
            "level": self.level,
            "message": self.message,
        }


def read_lines(
    raw: Sequence[dict[str, Any]], organization_id: str | None, deployment_id: str, now: datetime
) -> list[LogLine]:
    """The request's lines (the schema checked their fields); 400 naming the line whose
    timestamp is older than 30 days or more than 5 minutes ahead."""
    out = []
    for index, line in enumerate(raw):
        stamp = line.get("timestamp")
        at = datetime.fromisoformat(str(stamp).replace("Z", "+00:00")) if stamp else now
        where = f"lines.{index}.timestamp"
        if at.tzinfo is None:
            raise bad_field(where, "give a time zone (Z or an offset)")
        if at < now - MAX_AGE:
            raise bad_field(where, "older than 30 days")
        if at > now + MAX_AHEAD:
            raise bad_field(where, "more than 5 minutes in the future")
        level = str(line.get("level") or "info")
        out.append(LogLine(organization_id, deployment_id, at, level, str(line["message"])))
    return out


_LINES = cast(Table, DeploymentLogRow.__table__)
# A batch of lines and their new ids, in the order given (RETURNING, one statement).
_INSERT = insert(_LINES).returning(_LINES.c.id, sort_by_parameter_order=True)


@functools.cache
def _after(no_org: bool) -> Prepared:
    """A deployment's lines stored after line ``after``, oldest first."""
    org = _LINES.c.organization_id
    query = (
        select(_LINES.c.timestamp, _LINES.c.level, _LINES.c.message, _LINES.c.id)
        .where(
            org.is_(None) if no_org else org == bindparam("org"),
            _LINES.c.deployment_id == bindparam("deployment_id"),
            _LINES.c.id > bindparam("after", type_=Integer),
        )
        .order_by(_LINES.c.id)
        .limit(REPLAY_LIMIT)
    )
    return Prepared(query)


class LogStore:
    """The deployment log lines of one database: stored in batches, read back after an id."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def store(self, lines: Sequence[LogLine]) -> list[LogLine]:
        """``lines`` in one statement (one transaction), returned with their ids (the caller
        then publishes them)."""
        if not lines:
            return []
        rows = [
            {
                "organization_id": line.organization_id,
                "deployment_id": line.deployment_id,
                "timestamp": line.timestamp,
                "level": line.level,
                "message": line.message,
            }
            for line in lines
        ]

        def insert_lines(connection: Connection) -> Sequence[int]:
            return connection.execute(_INSERT, rows).scalars().all()

        ids = await self.database.transaction(insert_lines)
        return [replace(line, id=int(i)) for line, i in zip(lines, ids, strict=True)]

    async def after(
        self, organization_id: str | None, deployment_id: str, after: int
    ) -> list[LogLine]:
        """The deployment's lines stored after line ``after``, oldest first (at most
        :data:`REPLAY_LIMIT`)."""
        params = {"org": organization_id, "deployment_id": deployment_id, "after": after}
        rows = await self.database.rows(_after(organization_id is None), params)
        return [
            LogLine(organization_id, deployment_id, r.timestamp, r.level, r.message, int(r.id))
            for r in rows
        ]


class LogFeed:
    """In-process publish/subscribe of stored lines, per deployment of an organisation."""

    def __init__(self) -> None:
        self._queues: dict[tuple[str | None, str], set[asyncio.Queue[LogLine]]] = {}

    @staticmethod
    def of(state: Any) -> LogFeed:
        """The app's feed (``state.services["hexabase_deployment_logs"]``)."""
        return cast(LogFeed, state.services[SERVICE])

    @asynccontextmanager
    async def subscribe(
        self, organization_id: str | None, deployment_id: str
    ) -> AsyncIterator[asyncio.Queue[LogLine]]:
        """A queue receiving every line published for the deployment until the block exits;
        one that falls :data:`QUEUE_SIZE` lines behind loses the oldest (a reconnect with
        ``Last-Event-ID`` reads them back)."""
        key = (organization_id, deployment_id)
        queue: asyncio.Queue[LogLine] = asyncio.Queue(QUEUE_SIZE)
        self._queues.setdefault(key, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._queues.get(key, set())
            queues.discard(queue)
            if not queues:
                self._queues.pop(key, None)

    def publish(self, lines: Sequence[LogLine]) -> None:
        """Hand committed ``lines`` to the deployment's subscribers, never blocking."""
        for line in lines:
            for queue in self._queues.get((line.organization_id, line.deployment_id), ()):
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(line)
