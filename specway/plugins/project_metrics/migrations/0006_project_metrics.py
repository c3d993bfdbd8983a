"""project_metrics: per-project traffic buckets and log lines

Revision ID: 0006_project_metrics
Revises:

The project_metrics plugin's first revision (version table ``specway_version_project_metrics``).
Earlier releases made these tables inside the reference API's revision ``0006``; a database of
those releases is stamped at this revision by :mod:`specway.storage.legacy`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_project_metrics"
down_revision = None
branch_labels = None
depends_on = None

# Latency histogram columns, as in specway/plugins/project_metrics/histogram.py (frozen here).
HISTOGRAM = (
    "le_1",
    "le_2_5",
    "le_5",
    "le_10",
    "le_25",
    "le_50",
    "le_100",
    "le_250",
    "le_500",
    "le_1000",
    "le_2500",
    "le_5000",
    "le_10000",
    "le_inf",
)


def upgrade() -> None:
    op.create_table(
        "project_metric_buckets",
        sa.Column("project_id", sa.String(40), nullable=False),
        sa.Column("organization_id", sa.String(40), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("server_errors", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in HISTOGRAM),
        sa.PrimaryKeyConstraint(
            "project_id", "organization_id", "minute", name="pk_project_metric_buckets"
        ),
    )
    op.create_index("ix_project_metric_buckets_minute", "project_metric_buckets", ["minute"])

    op.create_table(
        "project_log_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("project_id", sa.String(40), nullable=False),
        sa.Column("organization_id", sa.String(40), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("component", sa.String(40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=True),
    )
    op.create_index(
        "ix_project_log_lines_project_time",
        "project_log_lines",
        ["project_id", "organization_id", "timestamp"],
    )
    op.create_index("ix_project_log_lines_timestamp", "project_log_lines", ["timestamp"])


def downgrade() -> None:
    op.drop_table("project_log_lines")
    op.drop_table("project_metric_buckets")
