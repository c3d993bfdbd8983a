"""A bounded in-process cache of resolved credentials, keyed by the credential's hash.

The hot path asks this cache, not the database. Entries live at most ``ttl`` seconds (unknown
credentials ``negative_ttl``), the least recently used go first when full, and
:meth:`CredentialCache.clear` (called when any process revokes something) drops everything and
bumps a generation counter: a database load that started before the clear cannot put its stale
result back afterwards.
"""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict
from dataclasses import dataclass

from specway.principal import Principal

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class ResolvedCredential:
    """What a credential hash resolves to; ``principal is None`` marks an unknown credential."""

    digest: str
    principal: Principal | None
    expires_at: float | None = None  # epoch seconds
    networks: tuple[Network, ...] = ()
    stored_at: float = 0.0
    # The organisation's allow-list (every credential of it); ``networks`` is the key's own.
    organization_networks: tuple[Network, ...] = ()


class CredentialCache:
    """LRU + TTL map from credential hash to :class:`ResolvedCredential`."""

    def __init__(self, max_size: int, ttl: float = 60.0, negative_ttl: float = 5.0) -> None:
        self.max_size = max(1, max_size)
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.generation = 0
        self._entries: OrderedDict[str, ResolvedCredential] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: str) -> ResolvedCredential | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        ttl = self.ttl if entry.principal is not None else self.negative_ttl
        if time.monotonic() - entry.stored_at > ttl:
            del self._entries[digest]
            return None
        self._entries.move_to_end(digest)
        return entry

    def put(self, entry: ResolvedCredential, generation: int) -> None:
        """Store ``entry`` unless the cache was cleared since ``generation`` was read."""
        if generation != self.generation:
            return
        self._entries[entry.digest] = entry
        self._entries.move_to_end(entry.digest)
        while len(self._entries) > self.max_size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
