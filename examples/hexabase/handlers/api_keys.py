"""``API Keys``: the reference handlers (the prefix ``hks_live_`` is ``x-specway-auth``)."""

from __future__ import annotations

from specway.parts.api_keys.handlers import (
    create_api_key,
    get_api_key,
    list_api_keys,
    revoke_api_key,
)

__all__ = ["create_api_key", "get_api_key", "list_api_keys", "revoke_api_key"]
