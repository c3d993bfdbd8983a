"""``Webhooks``: the platform's webhook endpoints (the seed's "coming soon" webhooks)."""

from __future__ import annotations

from specway.parts.webhooks.handlers import (
    create_webhook,
    delete_webhook,
    get_webhook,
    list_webhooks,
)

__all__ = ["create_webhook", "delete_webhook", "get_webhook", "list_webhooks"]
