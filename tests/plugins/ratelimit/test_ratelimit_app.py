"""The whole plugin inside the app (anonymous, IP-keyed requests), on memory and on Redis."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rl_support import ROOT, BackendCase
from starlette.testclient import TestClient

from specway.plugins.ratelimit import RateLimiter

REFERENCE = ROOT / "openapi.yaml"
LIMIT_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "ratelimit")


def test_reference_api_anonymous_limits(
    rl_app: Callable[..., TestClient], backend_case: BackendCase
) -> None:
    client = rl_app(REFERENCE)
    # The anonymous burst is 50/min, so on the real clock a unit may come back (every 1.2 s)
    # while the test runs: check that every answer agrees with the remaining count before it.
    remaining, admitted = 50, 0
    for _ in range(120):
        # A public operation: anonymous callers are limited per IP (a protected one answers
        # 401 before the limiter, which runs after authentication).
        response = client.get("/v1")
        assert response.headers["ratelimit-policy"] == '"burst";q=50;w=60, "hourly";q=100;w=3600'
        now_remaining = int(response.headers["x-ratelimit-remaining"])
        if response.status_code == 429:
            assert remaining == 0
            assert now_remaining == 0
            break
        assert response.status_code == 200
        assert now_remaining <= remaining  # one unit spent, at most the refills added back
        admitted += 1
        remaining = now_remaining
    else:
        pytest.fail("never rate limited")
    assert admitted >= 50
    if backend_case.clock is not None:
        assert admitted == 50
    rejected = client.get("/v1")
    body = rejected.json()["error"]
    assert rejected.status_code == 429
    assert body["code"] == "rate_limited"
    assert body["request_id"] == rejected.headers["x-request-id"]
    assert body["details"]["policy"] == "burst"
    assert int(rejected.headers["retry-after"]) == body["details"]["retry_after"]
    # The hourly quota counted the admitted requests, not the rejected ones.
    assert f'"hourly";r={100 - admitted};' in rejected.headers["ratelimit"]
    health = client.get("/health")
    assert health.status_code == 200
    assert not any(h in health.headers for h in LIMIT_HEADERS)
    assert ("redis" in health.json()["checks"]) is (backend_case.kind == "redis")
    limiter: RateLimiter = client.app.state.services["ratelimit"]  # type: ignore[attr-defined]
    assert limiter.stats.allowed == admitted
    assert limiter.stats.rejected == 2
    assert limiter.stats.rejected_by_policy == {"burst": 2}


def test_headers_reach_errors_raised_downstream(rl_app: Callable[..., TestClient]) -> None:
    client = rl_app()
    missing = client.get("/items/nope")
    assert missing.status_code == 404
    assert missing.headers["x-ratelimit-remaining"] == "19"
    invalid = client.get("/items/far-too-long-id")
    assert invalid.status_code == 400
    assert invalid.headers["x-ratelimit-remaining"] == "18"
    bad_body = client.post("/batch", json={"operations": "many"})
    assert bad_body.status_code == 400
    assert bad_body.headers["x-ratelimit-remaining"] == "17"
    batch = client.post("/batch", json={"operations": [{}, {}, {}]})
    assert batch.json() == {"ran": 3}
    assert batch.headers["x-ratelimit-remaining"] == "14"


def test_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(
    rl_app: Callable[..., TestClient],
) -> None:
    client = rl_app(trusted_proxies=("10.0.0.0/8",))
    statuses = [
        client.get("/items", headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
        for i in range(21)
    ]
    assert statuses == [200] * 20 + [429]


def test_a_quota_rejection_names_the_quota(
    rl_app: Callable[..., TestClient], backend_case: BackendCase
) -> None:
    client = rl_app()
    statuses = [client.get("/quota").status_code for _ in range(16)]
    assert statuses == [200] * 15 + [429]
    rejected = client.get("/quota")
    details = rejected.json()["error"]["details"]
    assert details["policy"] == "quota"
    assert details["limit"] == 15
    assert rejected.headers["x-ratelimit-limit"] == "15"
    # The quota's window is aligned to the hour: it frees up within the hour (sliding decay).
    assert 1 <= int(rejected.headers["retry-after"]) <= 2 * 3600
    if backend_case.clock is not None:
        backend_case.clock.advance(int(rejected.headers["retry-after"]) - 1)
        assert client.get("/quota").status_code == 429
        backend_case.clock.advance(1)
        assert client.get("/quota").status_code == 200


def test_exempt_operation_is_never_limited(rl_app: Callable[..., TestClient]) -> None:
    client = rl_app()
    for _ in range(25):
        response = client.get("/free")
        assert response.status_code == 200
        assert "x-ratelimit-limit" not in response.headers
