"""yourcompany (seed 002): each deviation issue 30 found, checked against the seed's own example.

Each test quotes the seed lines it checks (``/work/shared/seeds/002_*.txt``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.testclient import TestClient

from tests.conftest import AuthIdentity
from tests.examples.seed_support import served


def test_yourcompany_validation_error_reads_as_documented(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    # Seed 002: {"status": "error", "error": {"code": "INVALID_REQUEST", "message":
    #   "Invalid parameter: name is required",
    #   "details": {"field": "name", "reason": "required_field_missing"}}}
    client, auth = served("yourcompany", example_client, app_factory, auth_factory)
    response = client.post("/v1/resources", json={"type": "processor"}, headers=auth)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == "error"
    error = body["error"]
    assert error["code"] == "INVALID_REQUEST"
    assert error["message"] == "Invalid parameter: name is required"
    assert error["details"] == {"field": "name", "reason": "required_field_missing"}


def test_yourcompany_retry_after_is_never_later_than_the_reset(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    # Seed 002: 100 requests per hour; a 429 carries Retry-After, and X-RateLimit-Reset is the
    # Unix time of the reset. A client that waits either one must be admitted.
    client, auth = served("yourcompany", example_client, app_factory, auth_factory)
    for i in range(100):
        response = client.get("/v1/resources?per_page=1", headers=auth)
        assert response.status_code == 200, (i, response.text)
    limited = client.get("/v1/resources", headers=auth)
    assert limited.status_code == 429, limited.text
    retry = int(limited.headers["Retry-After"])
    reset = int(limited.headers["X-RateLimit-Reset"])
    # Seed 002: {"status": "error", "error": {"code": "RATE_LIMIT_EXCEEDED",
    #   "message": "Rate limit exceeded. Try again in 3600 seconds.", "retry_after": 3600}}
    error = limited.json()["error"]
    assert error["code"] == "RATE_LIMIT_EXCEEDED"
    assert error["message"] == f"Rate limit exceeded. Try again in {retry} seconds."
    assert error["retry_after"] == retry
    assert time.time() + retry <= reset + 1, (retry, reset - time.time())
