"""``Configuration``: the reference handlers."""

from __future__ import annotations

from handlers.configuration import get_project_config, update_project_config

__all__ = ["get_project_config", "update_project_config"]
