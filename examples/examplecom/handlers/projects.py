"""``Projects``: the reference handlers."""

from __future__ import annotations

from handlers.projects import list_projects

__all__ = ["list_projects"]
