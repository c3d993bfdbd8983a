"""auth: organizations.plan (the rate-limit tier, set by the operator)

Revision ID: 0009_organization_plan
Revises: 0007_sandbox

A key's tier used to be the ``plan`` its creator chose through the API, so any caller could
give themselves the top tier. The tier is now the organisation's ``plan`` (``specway orgs
set-plan``); ``api_keys.plan`` stays only as an operator's per-key override (``specway keys
generate --plan``, keys with no ``created_by``), so the plans callers chose are cleared.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_organization_plan"
down_revision = "0007_sandbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organizations", sa.Column("plan", sa.String(40), nullable=True))
    api_keys = sa.table("api_keys", sa.column("plan"), sa.column("created_by"))
    op.execute(api_keys.update().where(api_keys.c.created_by.isnot(None)).values(plan=None))


def downgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("plan")
