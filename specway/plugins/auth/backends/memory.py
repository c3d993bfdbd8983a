"""The in-process revocation version: one process, and the test double."""

from __future__ import annotations


class MemoryRevocationBackend:
    """A counter in memory."""

    def __init__(self) -> None:
        self._version = 0

    async def version(self) -> int:
        return self._version

    async def bump(self) -> int:
        self._version += 1
        return self._version

    async def close(self) -> None:
        return None
