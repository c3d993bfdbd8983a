"""Retries, Idempotency-Key reuse, timeouts and aborts of the compiled SDK (local script server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ts_support import HERE, run


@pytest.fixture(scope="module")
def seen(node: str, compiled_sdk: Path) -> dict[str, Any]:
    proc = run([node, str(HERE / "retry.mjs"), compiled_sdk.as_uri()], timeout=60)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_429_is_retried_after_retry_after_with_the_same_idempotency_key(
    seen: dict[str, Any],
) -> None:
    r = seen["retryAfter"]
    assert r["id"] == "prj_1"
    assert r["attempts"] == 2
    assert r["sleeps"] == [2000]
    first, second = r["keys"]
    assert first
    assert first == second
    assert r["auth"] == "Bearer sk_test_x"
    assert r["body"] == {"name": "p"}


def test_rate_limit_headers_set_the_wait_when_retry_after_is_missing(seen: dict[str, Any]) -> None:
    assert seen["rateLimitHeaders"] == {"attempts": 2, "sleeps": [3000], "getHasKey": False}
    assert seen["ietfHeaders"] == {"attempts": 2, "sleeps": [4000]}


def test_429_without_retries_is_a_rate_limit_error(seen: dict[str, Any]) -> None:
    assert seen["surfaced"] == {
        "isRateLimit": True,
        "status": 429,
        "code": "rate_limited",
        "requestId": "req_limited",
        "retryAfter": 7,
        "remaining": 0,
        "details": {"policy": "burst"},
        "attempts": 1,
    }


def test_5xx_backs_off_exponentially_with_jitter(seen: dict[str, Any]) -> None:
    r = seen["backoff"]
    assert r["id"] == "prj_1"
    assert r["attempts"] == 3
    first, second = r["sleeps"]
    assert 375 <= first <= 500
    assert 750 <= second <= 1000
    assert seen["exhausted"] == {"isServer": True, "attempts": 3}


def test_404_is_not_retried_and_keeps_the_request_id(seen: dict[str, Any]) -> None:
    assert seen["noRetry404"] == {
        "isNotFound": True,
        "attempts": 1,
        "requestId": "req_from_header",
    }


def test_dropped_connections_are_retried_with_the_same_key(seen: dict[str, Any]) -> None:
    assert seen["dropped"] == {"id": "prj_1", "attempts": 2, "sameKey": True}
    assert seen["connection"] == {"isConnection": True, "isTimeout": False}


def test_timeout_and_abort(seen: dict[str, Any]) -> None:
    assert seen["timeout"] == {"isTimeout": True, "isConnection": True}
    assert seen["aborted"] == {"message": "caller gave up", "attempts": 0}


def test_explicit_idempotency_key_and_headers(seen: dict[str, Any]) -> None:
    assert seen["explicitKey"] == {"key": "mine", "extra": "1"}
