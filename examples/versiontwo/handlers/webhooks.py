"""``Webhooks``: the reference handler for project webhooks."""

from __future__ import annotations

from handlers.webhooks import create_project_webhook

__all__ = ["create_project_webhook"]
