"""``Security``: VersionTwo's API keys, the reference API's keys with ``permissions`` for scopes.

VersionTwo calls a key's scopes ``permissions`` and shows only what identifies a key; the
mapping is the whole of this module, the keys themselves are the reference service's.
"""

from __future__ import annotations

from typing import Any

from specway import context
from specway.pagination import list_response, page_request
from specway.parts.access import auth_runtime, current_principal
from specway.parts.api_keys import handlers as reference
from specway.parts.api_keys import service

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]

SHOWN = ("id", "name", "prefix", "last4", "created_at", "last_used_at", "expires_at")


def as_versiontwo(key: dict[str, Any]) -> dict[str, Any]:
    """A reference key as VersionTwo shows it: ``scopes`` renamed ``permissions``."""
    shown = {name: key[name] for name in SHOWN}
    shown["permissions"] = key["scopes"]
    if "key" in key:
        shown["key"] = key["key"]
    return shown


async def list_api_keys(page: int | None = None, per_page: int | None = None) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    keys = service.key_store(auth_runtime())
    items, total = await service.list_api_keys(keys, current_principal(), request)
    shown = [as_versiontwo(item) for item in items]
    body, headers = list_response(op.pagination, shown, total, request, context.path(), {})
    return body, 200, headers


async def create_api_key(body: dict[str, Any]) -> Response:
    request = {"name": body["name"], "scopes": body["permissions"]}
    if body.get("expires_at") is not None:
        request["expires_at"] = body["expires_at"]
    runtime = auth_runtime()
    data = await service.create_api_key(
        service.key_store(runtime), runtime, current_principal(), request
    )
    headers = {"Location": f"{context.path()}/{data['id']}", "Cache-Control": "no-store"}
    return as_versiontwo(data), 201, headers


revoke_api_key = reference.revoke_api_key

__all__ = ["create_api_key", "list_api_keys", "revoke_api_key"]
