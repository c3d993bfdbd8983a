"""SQL of the ``project_metrics`` plugin: batched writes, range reads and retention.

Reads are prebuilt statements (``Prepared``, one per shape) run by ``Database.rows``: one
round trip each on PostgreSQL, the raw cursor on SQLite.

Bucket upserts add to existing counters (``INSERT … ON CONFLICT DO UPDATE SET n = n +
excluded.n``) on SQLite and PostgreSQL alike, so concurrent writers never lose counts.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, and_, bindparam, delete, func, insert, select
from sqlalchemy.engine import Connection

from specway.plugins.project_metrics.histogram import COLUMNS
from specway.plugins.project_metrics.models import log_lines, metric_buckets
from specway.storage.database import Database
from specway.storage.prepared import Prepared

if TYPE_CHECKING:
    from specway.plugins.project_metrics.recorder import BucketKey, LogLine

COUNTERS: tuple[str, ...] = ("requests", "errors", "server_errors", *COLUMNS)
_TIMESTAMP = log_lines.c.timestamp.type
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


def write(
    connection: Connection, buckets: dict[BucketKey, list[int]], lines: Sequence[LogLine]
) -> None:
    """Add ``buckets`` to the stored counters and append ``lines`` (synchronous Core work for
    ``Database.transaction``: the whole flush is one transaction)."""
    dialect = connection.dialect.name
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
        connection.execute(_upsert_statement(dialect, rows[start : start + CHUNK]))
    if lines:
        connection.execute(
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


@functools.cache
def _series_statement() -> Prepared:
    # ``//`` on integers renders as integer division on both SQLite and PostgreSQL.
    start = bindparam("start_minute", type_=Integer)
    slot = ((metric_buckets.c.minute - start) // bindparam("step", type_=Integer)).label("slot")
    return Prepared(
        select(slot, *(func.sum(metric_buckets.c[name]) for name in COUNTERS))
        .where(
            metric_buckets.c.project_id == bindparam("project_id"),
            metric_buckets.c.organization_id == bindparam("organization_id"),
            metric_buckets.c.minute >= start,
            metric_buckets.c.minute < bindparam("end_minute", type_=Integer),
        )
        .group_by(slot)
    )


async def series(
    database: Database,
    project_id: str,
    organization_id: str,
    start_minute: int,
    end_minute: int,
    step: int,
) -> list[tuple[int, list[int]]]:
    """Counters summed per slot of ``step`` minutes in ``[start_minute, end_minute)``.

    One range scan of the primary key, grouped in the database, in one statement:
    ``[(slot, counters)]`` where slot 0 starts at ``start_minute`` and counters are in
    :data:`COUNTERS` order.
    """
    params = {
        "project_id": project_id,
        "organization_id": organization_id,
        "start_minute": start_minute,
        "end_minute": end_minute,
        "step": step,
    }
    rows = await database.rows(_series_statement(), params)
    return [(int(row[0]), [int(v or 0) for v in row[1:]]) for row in rows]


@functools.cache
def _log_statements(
    start: bool, end: bool, levels: int | None, component: bool, descending: bool
) -> tuple[Prepared, Prepared]:
    """``(count, page)`` of one shape of log query; values are bound at execution (levels as
    ``level0``, ``level1``...: a fixed list, no expanding ``IN``)."""
    conditions = [
        log_lines.c.project_id == bindparam("project_id"),
        log_lines.c.organization_id == bindparam("organization_id"),
    ]
    if start:
        conditions.append(log_lines.c.timestamp >= bindparam("start", type_=_TIMESTAMP))
    if end:
        conditions.append(log_lines.c.timestamp < bindparam("end", type_=_TIMESTAMP))
    if levels is not None:
        conditions.append(log_lines.c.level.in_([bindparam(f"level{i}") for i in range(levels)]))
    if component:
        conditions.append(log_lines.c.component == bindparam("component"))
    where = and_(*conditions)
    order = (
        (log_lines.c.timestamp.desc(), log_lines.c.id.desc())
        if descending
        else (log_lines.c.timestamp.asc(), log_lines.c.id.asc())
    )
    count = select(func.count()).select_from(log_lines).where(where)
    page = (
        select(log_lines, count.scalar_subquery().label("total"))
        .where(where)
        .order_by(*order)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )
    return Prepared(count), Prepared(page)


async def read_logs(
    database: Database,
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
    """One page of lines (oldest or newest first) and the total that match: one statement
    (the total rides on every row; a page past the end counts apart)."""
    params: dict[str, Any] = {
        "project_id": project_id,
        "organization_id": organization_id,
        "offset": offset,
        "limit": limit,
    }
    if start is not None:
        params["start"] = start
    if end is not None:
        params["end"] = end
    for index, level in enumerate(levels or ()):
        params[f"level{index}"] = level
    if component is not None:
        params["component"] = component
    count, page = _log_statements(
        start is not None,
        end is not None,
        None if levels is None else len(levels),
        component is not None,
        descending,
    )
    rows = list(await database.rows(page, params))
    if rows:
        return rows, int(rows[0].total)
    if not offset:
        return [], 0
    return [], int((await database.rows(count, params))[0][0])


def prune(connection: Connection, metric_cutoff_minute: int, log_cutoff: datetime) -> None:
    """Delete buckets before ``metric_cutoff_minute`` and lines before ``log_cutoff``
    (synchronous Core work for ``Database.transaction``)."""
    connection.execute(delete(metric_buckets).where(metric_buckets.c.minute < metric_cutoff_minute))
    connection.execute(delete(log_lines).where(log_lines.c.timestamp < log_cutoff))
