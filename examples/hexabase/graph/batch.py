"""A per-request batch of keys: what one pass of the executor asks for, fetched in one call.

graphql-core resolves the items of a list one after the other, synchronously: each item's
``load(key)`` only queues its key and hands back a future, and the batch fetches every queued
key with one call of ``fetch`` on the event loop's next turn. Keys already fetched in the
request are answered from the batch's own memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Batch(Generic[K, V]):
    """``load(key)``: ``fetch``'s value for ``key`` (``missing`` when ``fetch`` leaves it out)."""

    def __init__(self, fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]], missing: V) -> None:
        self._fetch = fetch
        self._missing = missing
        self._futures: dict[K, asyncio.Future[V]] = {}
        self._queued: list[K] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def load(self, key: K) -> asyncio.Future[V]:
        future = self._futures.get(key)
        if future is None:
            loop = asyncio.get_running_loop()
            future = self._futures[key] = loop.create_future()
            if not self._queued:
                loop.call_soon(self._dispatch)
            self._queued.append(key)
        return future

    def _dispatch(self) -> None:
        keys, self._queued = self._queued, []
        task = asyncio.get_running_loop().create_task(self._run(keys))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, keys: list[K]) -> None:
        try:
            found = await self._fetch(keys)
        except Exception as exc:  # each waiting field gets the failure as its own error
            for key in keys:
                self._futures[key].set_exception(exc)
            return
        for key in keys:
            self._futures[key].set_result(found.get(key, self._missing))
