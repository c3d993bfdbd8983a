"""The ``deployments`` table: each rollout of a version and config to a project.

``sequence`` numbers a project's deployments 1, 2, 3…; the unique ``(project_id, sequence)``
pair makes two concurrent creates for one project collide in the database, so at most one of
them can become the project's active deployment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from specway.ids import new_id, utcnow
from specway.storage import Base

ACTIVE_STATUSES = ("pending", "in_progress")


class Deployment(Base):
    __tablename__ = "deployments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("dep"))
    organization_id: Mapped[str | None] = mapped_column(String(40), index=True)
    project_id: Mapped[str] = mapped_column(String(40))
    sequence: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(64))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    rollback_of: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        UniqueConstraint("project_id", "sequence", name="uq_deployments_project_sequence"),
        Index("ix_deployments_project_created", "project_id", "created_at"),
        Index("ix_deployments_status", "status"),
    )
