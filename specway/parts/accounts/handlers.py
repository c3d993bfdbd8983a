"""The ``accounts`` part: register, login, logout, profile."""

from __future__ import annotations

from typing import Any

from specway.parts.access import auth_runtime as _runtime
from specway.parts.access import current_principal as _principal
from specway.parts.accounts import service

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


async def register_user(body: dict[str, Any]) -> Response:
    runtime = _runtime()
    return await service.register(service.account_store(runtime), runtime, body), 201


async def login_user(body: dict[str, Any]) -> Response:
    runtime = _runtime()
    return await service.login(service.account_store(runtime), runtime, body), 200


async def logout_user() -> Response:
    runtime = _runtime()
    await service.logout(service.account_store(runtime), runtime, _principal())
    return {"message": "Successfully logged out"}, 200


async def get_profile() -> Response:
    return await service.profile(service.account_store(_runtime()), _principal()), 200
