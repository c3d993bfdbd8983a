"""The ``api-keys`` part: create (secret shown once), list, get, revoke, rotate."""

from __future__ import annotations

from typing import Any

from specway import context
from specway.pagination import list_response, page_request
from specway.parts.access import auth_runtime, current_principal
from specway.parts.api_keys import service

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


async def list_api_keys(page: int | None = None, per_page: int | None = None) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    keys = service.key_store(auth_runtime())
    items, total = await service.list_api_keys(keys, current_principal(), request)
    body, headers = list_response(op.pagination, items, total, request, context.path(), {})
    return body, 200, headers


async def create_api_key(body: dict[str, Any]) -> Response:
    runtime = auth_runtime()
    data = await service.create_api_key(
        service.key_store(runtime), runtime, current_principal(), body
    )
    headers = {"Location": f"{context.path()}/{data['id']}", "Cache-Control": "no-store"}
    return data, 201, headers


async def get_api_key(key_id: str) -> Response:
    keys = service.key_store(auth_runtime())
    return await service.get_api_key(keys, current_principal(), key_id), 200


async def revoke_api_key(key_id: str) -> Response:
    runtime = auth_runtime()
    await service.revoke_api_key(service.key_store(runtime), current_principal(), key_id)
    await runtime.invalidate()
    return None, 204


async def rotate_api_key(key_id: str, body: dict[str, Any] | None = None) -> Response:
    runtime = auth_runtime()
    data = await service.rotate_api_key(
        service.key_store(runtime), runtime, current_principal(), key_id, body
    )
    await runtime.invalidate()
    base = context.path().rsplit("/", 2)[0]
    headers = {"Location": f"{base}/{data['id']}", "Cache-Control": "no-store"}
    return data, 201, headers
