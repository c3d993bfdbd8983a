"""projects: resource samples (cpu, memory) that a project's runtime reports

Revision ID: 0011_resource_samples
Revises: 0006

``POST /v1/projects/{project_id}/metrics/samples`` stores what the project's own processes
measure (CPU in percent, memory in MiB); ``GET …/metrics`` averages them per interval beside the
gateway's traffic series. ``minute`` (Unix minutes) is what the series groups by, on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_resource_samples"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_resource_samples",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("organization_id", sa.String(40), nullable=True),
        sa.Column(
            "project_id",
            sa.String(40),
            sa.ForeignKey("projects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("metric", sa.String(20), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
    )
    op.create_index(
        "ix_resource_samples_project_metric_minute",
        "project_resource_samples",
        ["project_id", "metric", "minute"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_resource_samples_project_metric_minute", table_name="project_resource_samples"
    )
    op.drop_table("project_resource_samples")
