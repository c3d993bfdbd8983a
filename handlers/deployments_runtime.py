"""Wiring of the deployments background runner into the app (services and lifespan)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handlers.services.deployment_runner import DeploymentRunner, LogSink
from specway.builder import AppBuilder

SERVICE = "deployments"


def _log_sink(recorder: Any) -> LogSink:
    from specway.plugins.project_metrics import LogLine

    def sink(project_id: str, organization_id: str, level: str, message: str) -> None:
        recorder.record_line(
            LogLine(project_id, organization_id, datetime.now(UTC), level, "deployments", message)
        )

    return sink


def install(builder: AppBuilder) -> None:
    """Register the :class:`DeploymentRunner` as the ``"deployments"`` service.

    Deployment steps are logged to the project's log when the ``project_metrics`` plugin runs.
    """
    recorder = builder.state.services.get("project_metrics")
    runner = DeploymentRunner(
        builder.state.database,
        timeout=builder.state.settings.deployment_timeout,
        log_sink=_log_sink(recorder) if recorder is not None else None,
        webhooks=builder.state.services.get("webhooks"),
    )
    builder.state.services[SERVICE] = runner
    builder.on_startup(runner.start)
    builder.on_shutdown(runner.stop)
