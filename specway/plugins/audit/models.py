"""The ``audit_logs`` table: one row per audited call (migration ``0004``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from specway.ids import new_sortable_id, utcnow
from specway.storage import Base


class AuditLog(Base):
    """An audited call: who did what to which resource, from where, with what result."""

    __tablename__ = "audit_logs"
    __table_args__ = (Index("ix_audit_logs_org_ts", "organization_id", "timestamp", "id"),)

    id: Mapped[str] = mapped_column(
        String(40), primary_key=True, default=lambda: new_sortable_id("aud")
    )
    organization_id: Mapped[str | None] = mapped_column(String(40))
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(100))
    actor_type: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str | None] = mapped_column(String(40))
    api_key_id: Mapped[str | None] = mapped_column(String(40))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    operation_id: Mapped[str | None] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(1024))
    target_type: Mapped[str | None] = mapped_column(String(60))
    target_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
