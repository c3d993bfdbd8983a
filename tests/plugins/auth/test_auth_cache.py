from __future__ import annotations

import pytest

from specway.plugins.auth import cache as cache_module
from specway.plugins.auth.cache import CredentialCache, ResolvedCredential
from specway.principal import Principal

P = Principal(kind="api_key", id="key_x", organization_id="org_x")


def entry(digest: str, principal: Principal | None = P, at: float = 0.0) -> ResolvedCredential:
    return ResolvedCredential(digest, principal, stored_at=at)


def test_bounded_least_recently_used_goes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: 0.0)
    cache = CredentialCache(max_size=2)
    cache.put(entry("a"), cache.generation)
    cache.put(entry("b"), cache.generation)
    assert cache.get("a") is not None  # a is now the most recent
    cache.put(entry("c"), cache.generation)
    assert len(cache) == 2
    assert cache.get("b") is None
    assert cache.get("a") is not None
    assert cache.get("c") is not None


def test_entries_expire_negative_ones_sooner(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: now[0])
    cache = CredentialCache(max_size=10, ttl=60, negative_ttl=5)
    cache.put(entry("known", at=100.0), cache.generation)
    cache.put(entry("unknown", None, at=100.0), cache.generation)
    now[0] = 106.0
    assert cache.get("unknown") is None
    assert cache.get("known") is not None
    now[0] = 161.0
    assert cache.get("known") is None


def test_a_load_started_before_clear_cannot_store_stale_data() -> None:
    cache = CredentialCache(max_size=10)
    generation = cache.generation
    cache.clear()  # a revocation arrives while the database load is in flight
    cache.put(entry("stale"), generation)
    assert len(cache) == 0
    cache.put(entry("fresh"), cache.generation)
    assert len(cache) == 1
