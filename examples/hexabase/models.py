"""Hexabase's own tables (``examples/hexabase/migrations``): workload samples, alert rules and
their pending notifications, workspace secrets, and what ``projects.deploy`` was asked to run.

Every row carries ``organization_id`` (tenant isolation), like the reference API's tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from handlers import models_deployments as _deployments  # noqa: F401 - ``deployments``, FK target
from handlers import models_platform as _platform  # noqa: F401 - ``workspaces``, the FK target
from specway.ids import new_id, utcnow
from specway.storage import Base


class MetricSample(Base):
    """One measurement a workload reported (``cpu_usage`` in percent, ``memory_usage`` in MiB)
    for a workspace and, optionally, one of its deployments; ``minute`` (its Unix minute) is
    what queries bucket by."""

    __tablename__ = "hexabase_metric_samples"
    __table_args__ = (
        Index("ix_hexabase_samples_ws_metric_minute", "workspace_id", "metric", "minute"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organization_id: Mapped[str | None] = mapped_column(String(40))
    workspace_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    deployment_id: Mapped[str | None] = mapped_column(String(40))
    metric: Mapped[str] = mapped_column(String(40))
    minute: Mapped[int] = mapped_column(Integer)
    measured_at: Mapped[datetime] = mapped_column()
    value: Mapped[float] = mapped_column(Float)


class AlertRule(Base):
    """``<aggregate>(<metric>) <operator> <threshold>`` held for ``duration_seconds``;
    ``state`` is ``ok``, ``firing`` or ``acknowledged``."""

    __tablename__ = "hexabase_alerts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("alert"))
    organization_id: Mapped[str | None] = mapped_column(String(40), index=True)
    workspace_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    condition: Mapped[str] = mapped_column(String(200))
    aggregate: Mapped[str] = mapped_column(String(8))
    metric: Mapped[str] = mapped_column(String(40))
    operator: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[float] = mapped_column(Float)
    duration: Mapped[str] = mapped_column(String(16))
    duration_seconds: Mapped[int] = mapped_column(Integer)
    notifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default="ok")
    last_value: Mapped[float | None] = mapped_column(Float)
    triggered_at: Mapped[datetime | None] = mapped_column()
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertNotification(Base):
    """A notification a firing alert owes (``email:…``, ``webhook:…``); this server sends no
    mail and calls no ad-hoc URL, so they stay ``pending`` for a delivery worker to take."""

    __tablename__ = "hexabase_alert_notifications"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ntf"))
    organization_id: Mapped[str | None] = mapped_column(String(40), index=True)
    alert_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("hexabase_alerts.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkspaceSecret(Base):
    """A named secret of a workspace (``{"from_secret": "api-key"}`` refers to it), sealed with
    the app's :class:`~specway.crypto.SecretBox`, the row id as associated data."""

    __tablename__ = "hexabase_workspace_secrets"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_hexabase_secret_name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("sec"))
    organization_id: Mapped[str | None] = mapped_column(String(40), index=True)
    workspace_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(100))
    value_ciphertext: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeploySource(Base):
    """What ``projects.deploy`` asked for beside the reference deployment: the workspace, the
    source and the environment (secret references kept as references, never their values)."""

    __tablename__ = "hexabase_deploy_sources"

    deployment_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("deployments.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[str | None] = mapped_column(String(40), index=True)
    workspace_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    source: Mapped[str] = mapped_column(Text)
    environment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
