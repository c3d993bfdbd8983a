"""auth: organizations.allowed_ips (the organisation-wide IP allow-list)

Revision ID: 0010_organization_allowed_ips
Revises: 0009_organization_plan

CIDR ranges every key and session of the organisation must call from (empty or null: any
address), set by its admins through the ``security`` part; a key's own ``allowed_ips`` narrows
it further.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_organization_allowed_ips"
down_revision = "0009_organization_plan"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organizations", sa.Column("allowed_ips", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("allowed_ips")
