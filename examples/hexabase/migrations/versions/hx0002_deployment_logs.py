"""hexabase: the log lines a deployment's workload reports (``client.logs.stream``)

Revision ID: hx0002
Revises: hx0001

``id`` orders a deployment's lines as they arrived: it is the event id a reconnecting stream
resumes after (``Last-Event-ID``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "hx0002"
down_revision = "hx0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hexabase_deployment_logs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("organization_id", sa.String(40), nullable=True),
        sa.Column(
            "deployment_id",
            sa.String(40),
            sa.ForeignKey("deployments.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
    )
    op.create_index(
        "ix_hexabase_deployment_logs_deployment",
        "hexabase_deployment_logs",
        ["deployment_id", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_hexabase_deployment_logs_deployment", "hexabase_deployment_logs")
    op.drop_table("hexabase_deployment_logs")
