"""Tables of the ``project_metrics`` plugin: per-minute traffic buckets and request log lines.

A bucket row holds one minute of one project's traffic as seen by one organisation: counts and
a latency histogram (one column per bound, see :mod:`.histogram`). Rows are added to with
upserts, so several gateway processes can flush into the same minute. Reading a day at 1-minute
resolution is one range scan of the primary key.

Both are Core tables: every access is a bulk insert, an upsert or an aggregate query.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, String, Table, Text

from specway.plugins.project_metrics.histogram import COLUMNS
from specway.storage import Base

metric_buckets = Table(
    "project_metric_buckets",
    Base.metadata,
    Column("project_id", String(40), primary_key=True),
    # "" for anonymous callers: part of the key, so it can't be NULL.
    Column("organization_id", String(40), primary_key=True),
    # Unix time // 60.
    Column("minute", Integer, primary_key=True),
    Column("requests", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("server_errors", Integer, nullable=False, default=0),
    *(Column(name, Integer, nullable=False, default=0) for name in COLUMNS),
    Index("ix_project_metric_buckets_minute", "minute"),
)

log_lines = Table(
    "project_log_lines",
    Base.metadata,
    Column(
        "id",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("project_id", String(40), nullable=False),
    Column("organization_id", String(40), nullable=False),
    Column("timestamp", DateTime(timezone=True), nullable=False),
    Column("level", String(8), nullable=False),
    Column("component", String(40), nullable=False),
    Column("message", Text, nullable=False),
    Column("request_id", String(128), nullable=True),
    Index("ix_project_log_lines_project_time", "project_id", "organization_id", "timestamp"),
    Index("ix_project_log_lines_timestamp", "timestamp"),
)
