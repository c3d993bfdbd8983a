"""hexabase: workload metric samples, alert rules and notifications, workspace secrets, deploy
sources

Revision ID: hx0001
Revises: (its own branch; needs the reference's workspaces 0005 and deployments 0006)

The example's own tables (``examples/hexabase/models.py``), in the project history beside the
reference API's revisions (``x-specway-migrations: [../../migrations, migrations]``).
``minute`` (Unix minutes) is what metric queries bucket by, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "hx0001"
down_revision = None
branch_labels = ("hexabase",)
depends_on = ("0005", "0006")


def _workspace(nullable: bool = False) -> sa.Column[str]:
    return sa.Column(
        "workspace_id",
        sa.String(40),
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "hexabase_metric_samples",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("organization_id", sa.String(40), nullable=True),
        _workspace(),
        sa.Column("deployment_id", sa.String(40), nullable=True),
        sa.Column("metric", sa.String(40), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
    )
    op.create_index(
        "ix_hexabase_samples_ws_metric_minute",
        "hexabase_metric_samples",
        ["workspace_id", "metric", "minute"],
    )
    op.create_table(
        "hexabase_alerts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("organization_id", sa.String(40), nullable=True, index=True),
        _workspace(nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("condition", sa.String(200), nullable=False),
        sa.Column("aggregate", sa.String(8), nullable=False),
        sa.Column("metric", sa.String(40), nullable=False),
        sa.Column("operator", sa.String(2), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("duration", sa.String(16), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("notifications", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("triggered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "hexabase_alert_notifications",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("organization_id", sa.String(40), nullable=True, index=True),
        sa.Column(
            "alert_id",
            sa.String(40),
            sa.ForeignKey("hexabase_alerts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "hexabase_workspace_secrets",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("organization_id", sa.String(40), nullable=True, index=True),
        _workspace(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("value_ciphertext", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("workspace_id", "name", name="uq_hexabase_secret_name"),
    )
    op.create_table(
        "hexabase_deploy_sources",
        sa.Column(
            "deployment_id",
            sa.String(40),
            sa.ForeignKey("deployments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("organization_id", sa.String(40), nullable=True, index=True),
        _workspace(),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("environment", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("hexabase_deploy_sources")
    op.drop_table("hexabase_workspace_secrets")
    op.drop_table("hexabase_alert_notifications")
    op.drop_table("hexabase_alerts")
    op.drop_index("ix_hexabase_samples_ws_metric_minute", table_name="hexabase_metric_samples")
    op.drop_table("hexabase_metric_samples")
