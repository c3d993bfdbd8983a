"""SQL of the ``project_metrics`` plugin: batched writes, range reads and retention.

Bucket upserts add to existing counters (``INSERT … ON CONFLICT DO UPDATE SET n = n +
excluded.n``) on SQLite and PostgreSQL alike, so concurrent writers never lose counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from specway.plugins.project_metrics.histogram import COLUMNS
from specway.plugins.project_metrics.models import log_lines, metric_buckets

if TYPE_CHECKING:
    from specway.plugins.project_metrics.recorder import BucketKey, LogLine

COUNTERS: tuple[str, ...] = ("requests", "errors", "server_errors", *COLUMNS)
# asyncpg allows 32767 bind parameters per statement; a bucket row has 3 + 17 of them.
CHUNK = 1000


def _upsert_statement(dialect: str, rows: list[dict[str, Any]]) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    dialect_insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = dialect_insert(metric_buckets).values(rows)
    return stmt.on_conflict_do_update(
        index_elements=["project_id", "organization_id", "minute"],
        set_={name: metric_buckets.c[name] + stmt.excluded[name] for name in COUNTERS},
    )


async def write(
    session: AsyncSession, buckets: dict[BucketKey, list[int]], lines: Sequence[LogLine]
) -> None:
    """Add ``buckets`` to the stored counters and append ``lines``."""
    dialect = session.get_bind().dialect.name
    rows = [
        {
            "project_id": project_id,
            "organization_id": organization_id,
            "minute": minute,
            **dict(zip(COUNTERS, counters, strict=True)),
        }
        for (project_id, organization_id, minute), counters in buckets.items()
    ]
    for start in range(0, len(rows), CHUNK):
        await session.execute(_upsert_statement(dialect, rows[start : start + CHUNK]))
    if lines:
        await session.execute(
            insert(log_lines),
            [
                {
                    "project_id": line.project_id,
                    "organization_id": line.organization_id,
                    "timestamp": line.timestamp,
                    "level": line.level,
                    "component": line.component,
                    "message": line.message,
                    "request_id": line.request_id,
                }
                for line in lines
            ],
        )


async def series(
    session: AsyncSession,
    project_id: str,
    organization_id: str,
    start_minute: int,
    end_minute: int,
    step: int,
) -> list[tuple[int, list[int]]]:
    """Counters summed per slot of ``step`` minutes in ``[start_minute, end_minute)``.

    One range scan of the primary key, grouped in the database: ``[(slot, counters)]`` where
    slot 0 starts at ``start_minute`` and counters are in :data:`COUNTERS` order.
    """
    # ``//`` on integers renders as integer division on both SQLite and PostgreSQL.
    slot = ((metric_buckets.c.minute - start_minute) // step).label("slot")
    query = (
        select(slot, *(func.sum(metric_buckets.c[name]) for name in COUNTERS))
        .where(
            metric_buckets.c.project_id == project_id,
            metric_buckets.c.organization_id == organization_id,
            metric_buckets.c.minute >= start_minute,
            metric_buckets.c.minute < end_minute,
        )
        .group_by(slot)
    )
    result = await session.execute(query)
    return [(int(row[0]), [int(v or 0) for v in row[1:]]) for row in result]


def _log_filter(
    project_id: str,
    organization_id: str,
    start: datetime | None,
    end: datetime | None,
    levels: Sequence[str] | None,
    component: str | None,
) -> Any:
    conditions = [
        log_lines.c.project_id == project_id,
        log_lines.c.organization_id == organization_id,
    ]
    if start is not None:
        conditions.append(log_lines.c.timestamp >= start)
    if end is not None:
        conditions.append(log_lines.c.timestamp < end)
    if levels is not None:
        conditions.append(log_lines.c.level.in_(levels))
    if component is not None:
        conditions.append(log_lines.c.component == component)
    return and_(*conditions)


async def read_logs(
    session: AsyncSession,
    project_id: str,
    organization_id: str,
    *,
    start: datetime | None,
    end: datetime | None,
    levels: Sequence[str] | None = None,
    component: str | None = None,
    descending: bool = True,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[Any], int]:
    """One page of lines (oldest or newest first) and the total that match."""
    where = _log_filter(project_id, organization_id, start, end, levels, component)
    total = (
        await session.execute(select(func.count()).select_from(log_lines).where(where))
    ).scalar_one()
    order = (
        (log_lines.c.timestamp.desc(), log_lines.c.id.desc())
        if descending
        else (log_lines.c.timestamp.asc(), log_lines.c.id.asc())
    )
    rows = await session.execute(
        select(log_lines).where(where).order_by(*order).offset(offset).limit(limit)
    )
    return list(rows), int(total)


async def prune(session: AsyncSession, metric_cutoff_minute: int, log_cutoff: datetime) -> None:
    """Delete buckets before ``metric_cutoff_minute`` and lines before ``log_cutoff``."""
    await session.execute(
        delete(metric_buckets).where(metric_buckets.c.minute < metric_cutoff_minute)
    )
    await session.execute(delete(log_lines).where(log_lines.c.timestamp < log_cutoff))
