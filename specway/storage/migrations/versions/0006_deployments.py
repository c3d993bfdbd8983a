"""deployments, per-project traffic buckets and log lines

Revision ID: 0006
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None

# Latency histogram columns, as in plugins/project_metrics/histogram.py (frozen here).
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
        "deployments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("organization_id", sa.String(40), nullable=True),
        sa.Column("project_id", sa.String(40), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("rollback_of", sa.String(40), nullable=True),
        sa.Column("created_by", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("project_id", "sequence", name="uq_deployments_project_sequence"),
    )
    op.create_index("ix_deployments_organization_id", "deployments", ["organization_id"])
    op.create_index("ix_deployments_project_created", "deployments", ["project_id", "created_at"])
    op.create_index("ix_deployments_status", "deployments", ["status"])

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
    op.drop_table("deployments")
