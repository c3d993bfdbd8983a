"""``MemoryBackend``: idempotency records in one process, bounded, with expiry.

Good for a single worker and as the test double. Everything runs on the event loop thread, so
each method is atomic without locks. When full, the oldest record is evicted.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from specway.plugins.idempotency.backends import Existing


@dataclass(slots=True)
class _Record:
    fingerprint: str
    owner: str
    response: str | None
    expires: float


class MemoryBackend:
    """An ordered dict of records, oldest first."""

    def __init__(
        self, *, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self.records: OrderedDict[str, _Record] = OrderedDict()

    def _live(self, key: str) -> _Record | None:
        record = self.records.get(key)
        if record is not None and record.expires <= self.clock():
            del self.records[key]
            return None
        return record

    async def begin(
        self, key: str, fingerprint: str, token: str, lock_ttl: float
    ) -> Existing | None:
        record = self._live(key)
        if record is not None:
            return Existing(record.fingerprint, record.response)
        self.records[key] = _Record(fingerprint, token, None, self.clock() + lock_ttl)
        while len(self.records) > self.max_entries:
            self.records.popitem(last=False)
        return None

    async def finish(self, key: str, token: str, response: str, ttl: float) -> bool:
        record = self._live(key)
        if record is None or record.owner != token:
            return False
        record.response = response
        record.expires = self.clock() + ttl
        self.records.move_to_end(key)
        return True

    async def release(self, key: str, token: str) -> None:
        record = self._live(key)
        if record is not None and record.owner == token and record.response is None:
            del self.records[key]

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self.records.clear()
