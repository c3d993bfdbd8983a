"""``Monitoring``: the reference handlers."""

from __future__ import annotations

from handlers.monitoring import get_project_logs, get_project_metrics, record_resource_samples

__all__ = ["get_project_logs", "get_project_metrics", "record_resource_samples"]
