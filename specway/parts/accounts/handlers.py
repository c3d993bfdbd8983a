"""The ``accounts`` part: register, login, logout, profile."""

from __future__ import annotations

from typing import Any

from specway import context
from specway.parts.access import auth_runtime as _runtime
from specway.parts.access import current_principal as _principal
from specway.parts.accounts import service

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


async def register_user(body: dict[str, Any]) -> Response:
    async with context.database().session() as session:
        return await service.register(session, _runtime(), body), 201


async def login_user(body: dict[str, Any]) -> Response:
    async with context.database().session() as session:
        return await service.login(session, _runtime(), body), 200


async def logout_user() -> Response:
    async with context.database().session() as session:
        await service.logout(session, _runtime(), _principal())
    return {"message": "Successfully logged out"}, 200


async def get_profile() -> Response:
    async with context.database().session() as session:
        return await service.profile(session, _principal()), 200
