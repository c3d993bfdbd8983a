"""Retries, backoff, rate limits and error mapping of the generated SDK, over MockTransport."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from specway_client import (
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    Client,
    ConflictError,
    InternalServerError,
    RateLimitError,
    RequestOptions,
    RetryPolicy,
)

PROJECT = {
    "id": "proj_1",
    "name": "a",
    "description": "",
    "status": "active",
    "organization": None,
    "config": {},
    "created_at": "2024-01-15T10:30:00Z",
    "updated_at": "2024-01-15T10:30:00Z",
}


def error(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"error": {"code": code, "message": code.replace("_", " "), "request_id": "req_1"}}
    return httpx.Response(status, json=body, headers=headers)


def scripted(
    replies: list[httpx.Response | Exception],
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        reply = replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    return httpx.MockTransport(handle), seen


def make(
    replies: list[httpx.Response | Exception], **kwargs: object
) -> tuple[Client, list[httpx.Request], list[float]]:
    transport, seen = scripted(replies)
    slept: list[float] = []
    policy = RetryPolicy(rand=lambda: 0.0, clock=lambda: 1_700_000_000.0)
    client = Client(
        api_key="sk_test",
        base_url="http://api.test",
        transport=transport,
        sleep=slept.append,
        retry_policy=policy,
        **kwargs,  # type: ignore[arg-type]
    )
    return client, seen, slept


def test_backoff_doubles_and_stops_after_max_retries() -> None:
    client, seen, slept = make([error(503, "service_unavailable")] * 3)
    with pytest.raises(InternalServerError) as caught:
        client.projects.get("proj_1")
    assert len(seen) == 3
    assert slept == [0.5, 1.0]
    assert caught.value.request_id == "req_1"
    assert caught.value.code == "service_unavailable"


def test_jitter_shortens_the_wait_by_at_most_a_quarter() -> None:
    transport, _ = scripted([error(500, "internal_error"), httpx.Response(200, json=PROJECT)])
    slept: list[float] = []
    policy = RetryPolicy(rand=lambda: 1.0)
    client = Client(
        api_key="k",
        base_url="http://t",
        transport=transport,
        sleep=slept.append,
        retry_policy=policy,
    )
    client.projects.get("proj_1")
    assert slept == [0.375]


def test_429_is_retried_honouring_retry_after() -> None:
    client, seen, slept = make(
        [error(429, "rate_limited", {"Retry-After": "3"}), httpx.Response(200, json=PROJECT)]
    )
    project = client.projects.get("proj_1")
    assert project.id == "proj_1"
    assert slept == [3.0]
    assert len(seen) == 2


def test_429_waits_until_the_rate_limit_reset_without_retry_after() -> None:
    reset = {"X-RateLimit-Reset": str(1_700_000_000 + 7)}
    client, _, slept = make([error(429, "rate_limited", reset), httpx.Response(200, json=PROJECT)])
    client.projects.get("proj_1")
    assert slept == [7.0]


def test_429_surfaces_as_rate_limit_error_when_retries_are_off() -> None:
    headers = {
        "Retry-After": "12",
        "X-RateLimit-Limit": "100",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "12",
    }
    client, seen, slept = make([error(429, "rate_limited", headers)], max_retries=0)
    with pytest.raises(RateLimitError) as caught:
        client.projects.get("proj_1")
    assert len(seen) == 1
    assert slept == []
    assert caught.value.retry_after == 12.0
    assert caught.value.rate_limit.limit == 100
    assert caught.value.rate_limit.remaining == 0
    assert caught.value.rate_limit.reset == 12.0
    assert caught.value.status == 429


def test_per_call_max_retries_overrides_the_client() -> None:
    client, seen, _ = make([error(409, "conflict")] * 2)
    with pytest.raises(ConflictError):
        client.projects.get("proj_1", request_options=RequestOptions(max_retries=1))
    assert len(seen) == 2


def test_a_400_is_not_retried() -> None:
    client, seen, slept = make([error(400, "invalid_request")])
    with pytest.raises(Exception, match="invalid request"):
        client.projects.get("proj_1")
    assert len(seen) == 1
    assert slept == []


def test_idempotency_key_is_the_same_on_every_attempt() -> None:
    client, seen, _ = make([httpx.ConnectError("down"), httpx.Response(201, json=PROJECT)])
    client.projects.create(name="a")
    keys = {r.headers["Idempotency-Key"] for r in seen}
    assert len(seen) == 2
    assert len(keys) == 1
    assert json.loads(seen[0].content) == {"name": "a"}
    assert seen[0].headers["Authorization"] == "Bearer sk_test"


def test_explicit_idempotency_key_and_timeout_per_call() -> None:
    client, seen, _ = make([httpx.Response(201, json=PROJECT)], timeout=30.0)
    client.projects.create(
        name="a", request_options=RequestOptions(idempotency_key="k1", timeout=2)
    )
    assert seen[0].headers["Idempotency-Key"] == "k1"
    assert seen[0].extensions["timeout"]["read"] == 2


def test_connection_errors_and_timeouts_after_retries() -> None:
    client, seen, slept = make([httpx.ConnectError("refused")] * 3)
    with pytest.raises(APIConnectionError):
        client.projects.get("proj_1")
    assert len(seen) == 3
    assert slept == [0.5, 1.0]
    client, _, _ = make([httpx.ReadTimeout("slow")], max_retries=0)
    with pytest.raises(APITimeoutError):
        client.projects.get("proj_1")


def test_api_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPECWAY_API_KEY", "sk_env")
    monkeypatch.setenv("SPECWAY_BASE_URL", "http://env.test/")
    transport, seen = scripted([httpx.Response(200, json=PROJECT)])
    client = Client(transport=transport)
    assert client.base_url == "http://env.test"
    client.projects.get("proj 1")
    assert seen[0].headers["Authorization"] == "Bearer sk_env"
    assert seen[0].url.raw_path == b"/v1/projects/proj%201"


def test_async_client_retries_with_its_injected_sleep() -> None:
    transport, seen = scripted(
        [error(503, "service_unavailable"), httpx.Response(200, json=PROJECT)]
    )
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def run() -> str:
        async def handle(request: httpx.Request) -> httpx.Response:
            return transport.handle_request(request)

        policy = RetryPolicy(rand=lambda: 0.0)
        async with AsyncClient(
            api_key="k",
            base_url="http://t",
            transport=httpx.MockTransport(handle),
            sleep=sleep,
            retry_policy=policy,
        ) as client:
            project = await client.projects.get("proj_1")
            return project.id

    assert asyncio.run(run()) == "proj_1"
    assert slept == [0.5]
    assert len(seen) == 2


def test_models_keep_absent_apart_from_null() -> None:
    from specway_client import UNSET
    from specway_client.models import ProjectCreate, ProjectUpdate

    assert ProjectCreate(name="a").to_dict() == {"name": "a"}
    patch = ProjectUpdate.from_dict({"description": "x"})
    assert patch.name is UNSET
    assert patch.to_dict() == {"description": "x"}
