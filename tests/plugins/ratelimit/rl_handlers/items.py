"""The ``Items`` tag of the rate-limit scenarios: trivial answers, one 404."""

from __future__ import annotations

from typing import Any

from specway.errors import NotFound


async def list_items() -> tuple[Any, int]:
    return {"items": []}, 200


async def get_item(item_id: str) -> tuple[Any, int]:
    if item_id != "known":
        raise NotFound(f"No item {item_id!r}")
    return {"id": item_id}, 200


async def get_quota() -> tuple[Any, int]:
    return {"ok": True}, 200


async def get_tick() -> tuple[Any, int]:
    return {"ok": True}, 200


async def run_batch(body: dict[str, Any]) -> tuple[Any, int]:
    return {"ran": len(body.get("operations", []))}, 200


async def login(body: dict[str, Any]) -> tuple[Any, int]:
    return {"email": body.get("email")}, 200


async def get_free() -> tuple[Any, int]:
    return {"ok": True}, 200


async def get_strict() -> tuple[Any, int]:
    return {"ok": True}, 200
