"""Resource samples a project's runtime reports (migration 0011): CPU and memory over time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from handlers import models as _project_models  # noqa: F401 - ``projects``, the FK target
from specway.storage import Base


class ResourceSample(Base):
    """One measurement: ``cpu`` in percent (of one core: 250 is 2.5 cores busy) or ``memory``
    in MiB, at ``measured_at`` (``minute``: its Unix minute, what series group by)."""

    __tablename__ = "project_resource_samples"
    __table_args__ = (
        Index("ix_resource_samples_project_metric_minute", "project_id", "metric", "minute"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organization_id: Mapped[str | None] = mapped_column(String(40))
    project_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("projects.id", ondelete="CASCADE")
    )
    metric: Mapped[str] = mapped_column(String(20))
    minute: Mapped[int] = mapped_column(Integer)
    measured_at: Mapped[datetime] = mapped_column()
    value: Mapped[float] = mapped_column(Float)
