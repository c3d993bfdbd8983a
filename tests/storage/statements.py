"""``statements_sent``: the statements one call sent to PostgreSQL, and its result.

An app's background tasks (the audit writer, the webhook worker, last-use flushes) share its
``PgDirect`` and its ``statements`` counter; this counts only what the call's own task sends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from anyio.from_thread import BlockingPortal

from specway.storage.database import Database

T = TypeVar("T")


def statements_sent(
    portal: BlockingPortal, database: Database, call: Callable[[], Awaitable[T]]
) -> tuple[T, list[str] | None]:
    """``call()`` run on the app's loop: its result, and the SQL of each statement its task
    sent (``None`` on SQLite)."""
    pg = database.pg
    if pg is None:
        return portal.call(call), None
    sent: list[str] = []

    async def counted() -> T:
        task = asyncio.current_task()
        originals = {name: getattr(pg, name) for name in ("fetch", "execute", "executemany")}

        def wrap(name: str) -> Callable[..., Awaitable[Any]]:
            async def run(sql: str, args: Any) -> Any:
                if asyncio.current_task() is task:
                    sent.append(sql)
                return await originals[name](sql, args)

            return run

        for name in originals:
            setattr(pg, name, wrap(name))
        try:
            return await call()
        finally:
            for name in originals:
                delattr(pg, name)

    return portal.call(counted), sent
