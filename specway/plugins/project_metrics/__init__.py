"""The ``project_metrics`` plugin: each project's own traffic, as metrics and log lines.

Every request routed to an operation under ``/v1/projects/{project_id}/…`` is attributed to
that project (and to the caller's organisation): per-minute request and error counts with a
latency histogram, plus a request log line and, for mutating calls, an audit line. The
reference API serves them as ``/metrics``, ``/logs`` and ``/logs/stream`` of a project.

* :mod:`.middleware` — the pure ASGI middleware (memory only on the request path);
* :mod:`.recorder` — :class:`TrafficRecorder`, batching, flushing and live subscribers;
* :mod:`.store` — the SQL (upserted buckets, range reads, retention);
* :mod:`.histogram` — latency buckets and percentile estimates.

The recorder is the ``"project_metrics"`` service in the app state.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from specway.builder import AppBuilder
from specway.plugins.project_metrics.middleware import OperationPlan, ProjectTrafficMiddleware
from specway.plugins.project_metrics.recorder import (
    LEVELS,
    LogLine,
    TrafficRecorder,
    format_timestamp,
)
from specway.settings import Settings
from specway.spec import SpecModel
from specway.stages import Stage

__all__ = [
    "LEVELS",
    "SERVICE",
    "LogLine",
    "ProjectMetricsPlugin",
    "TrafficRecorder",
    "format_timestamp",
]

SERVICE = "project_metrics"


def operation_plans(spec: SpecModel) -> dict[str, OperationPlan]:
    """A plan for every operation with a ``{project_id}`` path parameter."""
    return {
        op.operation_id: OperationPlan(
            audit_action=(op.audit or op.operation_id) if op.mutating else None
        )
        for op in spec.operations.values()
        if "{project_id}" in op.path
    }


class ProjectMetricsPlugin:
    """Installs the traffic middleware and the recorder's flush task."""

    name = "project_metrics"
    # Its tables' Alembic revisions (specway.storage.migrate), applied only when enabled.
    migrations: ClassVar[Path] = Path(__file__).parent / "migrations"

    def __init__(
        self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings
    ) -> None:
        self.spec = spec_model
        self.settings = settings

    def install(self, builder: AppBuilder) -> None:
        settings = self.settings
        recorder = TrafficRecorder(
            builder.state.database,
            flush_interval=settings.project_metrics_flush_interval,
            metrics_retention_days=settings.project_metrics_retention_days,
            logs_retention_days=settings.project_logs_retention_days,
        )
        builder.state.services[SERVICE] = recorder
        builder.add_middleware(
            ProjectTrafficMiddleware,
            Stage.RESPONSES,
            recorder=recorder,
            plans=operation_plans(self.spec),
        )
        builder.on_startup(recorder.start)
        builder.on_shutdown(recorder.stop)
