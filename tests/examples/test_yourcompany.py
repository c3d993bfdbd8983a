"""YourCompany (seed 002): every documented request, replayed against ``examples/yourcompany``.

The documented bodies below are copied from the seed; each response must have the documented
status and the documented keys with the documented JSON types. Keys are minted (with their
tier) and webhook endpoints registered through the reference API on the same database
(YourCompany documents both only through its account settings).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from specway.app import create_app
from specway.cli import main
from specway.ids import utcnow
from specway.plugins.auth.sandbox import SandboxLink
from tests.conftest import AuthIdentity
from tests.examples.support import example_spec, shape_problems
from tests.plugins.webhooks.webhooks_support import Receiver

RESOURCE = {
    "id": "123",
    "name": "my-resource",
    "type": "processor",
    "status": "active",
    "config": {"timeout": 30},
    "created_at": "2024-01-01T12:00:00Z",
    "updated_at": "2024-01-01T12:00:00Z",
}
# "Success response": the seed's envelope around one object.
SUCCESS = {
    "status": "success",
    "data": {"id": "123", "name": "example"},
    "meta": {"timestamp": "2024-01-01T12:00:00Z"},
}
# "Response includes pagination metadata".
PAGE = {
    "status": "success",
    "data": [RESOURCE],
    "meta": {
        "page": 2,
        "per_page": 50,
        "total_items": 250,
        "total_pages": 5,
        "has_next": True,
        "has_previous": True,
    },
}
# "Error response".
ERROR: dict[str, Any] = {
    "status": "error",
    "error": {
        "code": "INVALID_REQUEST",
        "message": "Invalid parameter: name is required",
        "details": {"field": "name", "reason": "required_field_missing"},
    },
}
PLAIN_ERROR = {"status": "error", "error": {"code": "NOT_FOUND", "message": "Not found"}}
# "When you exceed the rate limit, you'll receive a 429".
RATE_LIMITED = {
    "status": "error",
    "error": {
        "code": "RATE_LIMIT_EXCEEDED",
        "message": "Rate limit exceeded. Try again in 3600 seconds.",
        "retry_after": 3600,
    },
}
# "Webhook payload".
WEBHOOK = {
    "event": "resource.created",
    "timestamp": "2024-01-01T12:00:00Z",
    "data": {"id": "123", "type": "processor", "name": "new-resource"},
}
CREATE_BODY = {"name": "my-resource", "type": "processor", "config": {"timeout": 30}}


def check(response: Any, status: int, documented: Any) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    problems = shape_problems(documented, body, opaque_ids=("id",))
    assert not problems, problems
    return body


def make_key(
    reference: TestClient,
    identity: AuthIdentity,
    plan: str,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> dict[str, str]:
    """A new key of ``identity``'s organisation, which the operator puts on ``plan`` (a
    rate-limit tier: ``specway orgs set-plan``; callers cannot choose their own)."""
    monkeypatch.setenv("SPECWAY_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECWAY_SECRET_KEY", "test-secret-key-0123456789abcdef")
    spec = str(example_spec("yourcompany"))
    assert main(["orgs", "set-plan", identity.organization_id, plan, "--spec", spec]) == 0
    created = reference.post(
        "/v1/api-keys",
        json={"name": f"{plan} key", "scopes": ["read", "write", "delete"]},
        headers=identity.session_headers,
    )
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['key']}"}


@pytest.fixture
def yc(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> tuple[TestClient, TestClient, AuthIdentity]:
    reference = app_factory()
    identity = auth_factory(reference)
    return example_client("yourcompany"), reference, identity


def test_documented_requests_replay(yc: tuple[TestClient, TestClient, AuthIdentity]) -> None:
    client, _, identity = yc
    auth = {**identity.headers, "Content-Type": "application/json", "Accept": "application/json"}

    # Creating a Resource
    made = client.post("/v1/resources", json=CREATE_BODY, headers=auth)
    created = check(made, 201, {**SUCCESS, "data": RESOURCE})
    assert list(created) == ["status", "data", "meta"]
    resource = created["data"]
    rid = resource["id"]
    assert {k: resource[k] for k in CREATE_BODY} == CREATE_BODY
    assert resource["status"] == "active"
    assert made.headers["Location"] == f"/v1/resources/{rid}"

    # Listing Resources (and the pagination example's parameters)
    listed = check(client.get("/v1/resources?status=active", headers=auth), 200, PAGE)
    assert list(listed) == ["status", "data", "meta"]
    assert [r["id"] for r in listed["data"]] == [rid]
    assert listed["meta"] == {
        "page": 1,
        "per_page": 20,
        "total_items": 1,
        "total_pages": 1,
        "has_next": False,
        "has_previous": False,
    }
    paged = check(client.get("/v1/resources?page=2&per_page=50", headers=auth), 200, PAGE)
    assert paged["data"] == []
    assert paged["meta"]["page"] == 2
    assert paged["meta"]["per_page"] == 50
    assert paged["meta"]["has_previous"] is True
    for query in (
        "status=active&type=processor",
        "sort=created_at&order=desc",
        "status=active&sort=name&order=asc&page=1&per_page=25",
    ):
        got = check(client.get(f"/v1/resources?{query}", headers=auth), 200, PAGE)
        assert [r["id"] for r in got["data"]] == [rid], query

    # Getting one: the documented success envelope
    got = check(client.get(f"/v1/resources/{rid}", headers=auth), 200, SUCCESS)
    assert got["data"] == resource

    # Updating a Resource: the fields sent change, the rest stay
    updated = check(
        client.put(f"/v1/resources/{rid}", json={"name": "updated-resource"}, headers=auth),
        200,
        {**SUCCESS, "data": RESOURCE},
    )
    assert updated["data"]["name"] == "updated-resource"
    assert updated["data"]["type"] == "processor"
    assert updated["data"]["config"] == {"timeout": 30}

    # Deleting a Resource: 204, no body
    deleted = client.delete(f"/v1/resources/{rid}", headers=auth)
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    gone = check(client.get(f"/v1/resources/{rid}", headers=auth), 404, PLAIN_ERROR)
    assert gone["error"]["code"] == "NOT_FOUND"


def test_filtering_and_sorting(yc: tuple[TestClient, TestClient, AuthIdentity]) -> None:
    client, _, identity = yc
    auth = identity.headers
    for name, kind, status in (
        ("charlie", "processor", "active"),
        ("alpha", "storage", "active"),
        ("bravo", "processor", "inactive"),
    ):
        body = {"name": name, "type": kind, "status": status, "config": {"timeout": 30}}
        assert client.post("/v1/resources", json=body, headers=auth).status_code == 201

    def names(query: str) -> list[str]:
        body = check(client.get(f"/v1/resources?{query}", headers=auth), 200, PAGE)
        assert body["meta"]["total_items"] == len(body["data"])
        return [r["name"] for r in body["data"]]

    assert names("sort=name&order=asc") == ["alpha", "bravo", "charlie"]
    assert names("sort=name&order=desc") == ["charlie", "bravo", "alpha"]
    assert names("type=processor&sort=name&order=asc") == ["bravo", "charlie"]
    assert names("status=active&sort=name&order=asc") == ["alpha", "charlie"]
    assert names("status=active&type=processor") == ["charlie"]
    assert names("type=nothing") == []
    first = check(
        client.get("/v1/resources?sort=name&order=asc&page=1&per_page=2", headers=auth), 200, PAGE
    )
    assert [r["name"] for r in first["data"]] == ["alpha", "bravo"]
    assert first["meta"] == {
        "page": 1,
        "per_page": 2,
        "total_items": 3,
        "total_pages": 2,
        "has_next": True,
        "has_previous": False,
    }


def test_resources_of_other_accounts_are_not_found(
    yc: tuple[TestClient, TestClient, AuthIdentity],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    client, reference, identity = yc
    other = auth_factory(reference).headers
    rid = client.post("/v1/resources", json=CREATE_BODY, headers=identity.headers).json()["data"][
        "id"
    ]
    check(client.get(f"/v1/resources/{rid}", headers=other), 404, PLAIN_ERROR)
    check(client.put(f"/v1/resources/{rid}", json={"name": "x"}, headers=other), 404, PLAIN_ERROR)
    check(client.delete(f"/v1/resources/{rid}", headers=other), 404, PLAIN_ERROR)
    assert check(client.get("/v1/resources", headers=other), 200, PAGE)["data"] == []


def test_errors_are_status_wrapped(
    yc: tuple[TestClient, TestClient, AuthIdentity],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    client, reference, identity = yc
    auth = identity.headers
    missing = check(
        client.post("/v1/resources", json={"type": "processor"}, headers=auth), 400, ERROR
    )
    assert missing["error"]["code"] == "INVALID_REQUEST"
    assert missing["error"]["details"] == {"field": "name", "reason": "required_field_missing"}
    both = check(client.post("/v1/resources", json={}, headers=auth), 400, ERROR)
    assert [e["field"] for e in both["error"]["details"]["errors"]] == ["name", "type"]
    bad_page = check(client.get("/v1/resources?per_page=1000", headers=auth), 400, ERROR)
    assert bad_page["error"]["details"]["field"] == "per_page"
    empty_update = client.put("/v1/resources/proj_nope", json={}, headers=auth)
    assert check(empty_update, 400, ERROR)["error"]["code"] == "INVALID_REQUEST"
    malformed = client.post(
        "/v1/resources", content=b"{", headers={**auth, "Content-Type": "application/json"}
    )
    assert check(malformed, 400, ERROR)["error"]["code"] == "INVALID_REQUEST"

    unauthorized = {"status": "error", "error": {"code": "UNAUTHORIZED", "message": "x"}}
    assert check(client.get("/v1/resources"), 401, unauthorized)
    wrong = {"Authorization": "Bearer sk_live_not_a_real_key"}
    assert check(client.get("/v1/resources", headers=wrong), 401, unauthorized)

    reader = auth_factory(reference, scopes=("read",)).headers
    forbidden = client.post("/v1/resources", json=CREATE_BODY, headers=reader)
    forbidden = check(forbidden, 403, {**PLAIN_ERROR, "error": {**ERROR["error"], "details": None}})
    assert forbidden["error"]["code"] == "FORBIDDEN"
    assert check(client.get("/v1/resources/proj_nope", headers=auth), 404, PLAIN_ERROR)
    for response in (missing, forbidden):
        assert "request_id" in response["error"]


def test_tiers_per_hour(
    yc: tuple[TestClient, TestClient, AuthIdentity],
    auth_factory: Callable[..., AuthIdentity],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    client, reference, identity = yc
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'specway.db'}"  # the apps' (settings_factory)
    for plan, limit in (("free", 100), ("pro", 1000), ("enterprise", 10000)):
        tenant = auth_factory(reference)  # a plan is an organisation's: one tenant per plan
        headers = make_key(reference, tenant, plan, monkeypatch, database_url)
        response = client.get("/v1/resources", headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["X-RateLimit-Limit"] == str(limit), plan
        assert response.headers["X-RateLimit-Remaining"] == str(limit - 1), plan
        # The documented example (1609459200) is a Unix time, and so is ours.
        reset = int(response.headers["X-RateLimit-Reset"])
        assert time.time() - 1 <= reset <= time.time() + 3601
    # A key of an organisation without a plan is on the free tier.
    response = client.get("/v1/resources", headers=identity.headers)
    assert response.headers["X-RateLimit-Limit"] == "100"
    # A caller asking for a tier is refused: the body has no such field.
    chosen = reference.post(
        "/v1/api-keys",
        json={"name": "mine", "scopes": ["read"], "plan": "enterprise"},
        headers=identity.session_headers,
    )
    assert chosen.status_code == 400, chosen.text


def test_the_101st_request_of_the_hour_is_429_with_retry_after(
    yc: tuple[TestClient, TestClient, AuthIdentity],
) -> None:
    client, _, identity = yc
    for i in range(100):
        response = client.get("/v1/resources?per_page=1", headers=identity.headers)
        assert response.status_code == 200, (i, response.text)
    assert response.headers["X-RateLimit-Remaining"] == "0"
    limited = client.get("/v1/resources", headers=identity.headers)
    body = check(limited, 429, RATE_LIMITED)
    assert body["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    retry_after = int(limited.headers["Retry-After"])
    assert 0 < retry_after <= 3600
    assert body["error"]["retry_after"] == retry_after


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    found.start()
    yield found
    found.stop()


def test_resource_created_webhook_is_signed_with_hmac_of_the_body(
    yc: tuple[TestClient, TestClient, AuthIdentity], receiver: Receiver
) -> None:
    client, reference, identity = yc
    # Registered through the reference API, whose catalogue has no resource.* events: "*".
    endpoint = reference.post(
        "/v1/webhooks",
        json={"url": receiver.url, "events": ["*"]},
        headers=identity.headers,
    )
    assert endpoint.status_code == 201, endpoint.text
    secret = endpoint.json()["secret"]
    body = {"name": "new-resource", "type": "processor"}
    created = check(client.post("/v1/resources", json=body, headers=identity.headers), 201, SUCCESS)
    delivery = receiver.wait_for(1)[0]  # at least once: a duplicate may follow
    payload = json.loads(delivery.body)
    problems = shape_problems(WEBHOOK, payload, opaque_ids=("id",))
    assert not problems, problems
    assert payload["event"] == "resource.created"
    assert payload["data"] == {
        "id": created["data"]["id"],
        "type": "processor",
        "name": "new-resource",
    }
    # "Each webhook includes a signature in the X-Signature header. Verify it matches:
    # HMAC-SHA256(webhook_secret, request_body)": the hex digest, no prefix.
    expected = hmac.new(secret.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["x-signature"] == expected


def test_sandbox_keys_are_isolated_and_not_rate_limited(
    yc: tuple[TestClient, TestClient, AuthIdentity],
) -> None:
    """The seed's sandbox: test data apart from live data, and no rate limits."""
    client, reference, identity = yc
    created = reference.post(
        "/v1/api-keys",
        json={"name": "sandbox", "scopes": ["read", "write", "delete"], "test_mode": True},
        headers=identity.session_headers,
    )
    assert created.status_code == 201, created.text
    sandbox = {"Authorization": f"Bearer {created.json()['key']}"}
    assert created.json()["key"].startswith("sk_test_")
    made = client.post(
        "/v1/resources", json={"name": "in-sandbox", "type": "processor"}, headers=sandbox
    )
    assert made.status_code == 201, made.text
    assert made.headers["X-Specway-Mode"] == "test"
    live = client.get("/v1/resources", headers=identity.headers).json()
    assert [r["name"] for r in live["data"]] == []
    assert (
        client.get(
            f"/v1/resources/{made.json()['data']['id']}", headers=identity.headers
        ).status_code
        == 404
    )
    for i in range(105):  # the free tier allows 100 an hour; the sandbox is not limited
        response = client.get("/v1/resources?per_page=1", headers=sandbox)
        assert response.status_code == 200, (i, response.text)
        assert "X-RateLimit-Limit" not in response.headers
    assert response.json()["meta"]["total_items"] == 1


def test_sandbox_data_is_reset_daily_by_the_gateway_itself(
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
    settings_factory: Callable[..., Any],
) -> None:
    """ "Test data automatically reset daily": the example's ``reset_after: P1D`` is done by the
    gateway's own background task, no cron job. A sandbox made a minute ago is kept; once its
    data is a day old (its timestamps moved back 25 hours), the next tick empties it and leaves
    live data alone."""
    reference = app_factory()
    identity = auth_factory(reference)
    test_key = reference.post(
        "/v1/api-keys",
        json={"name": "sandbox", "scopes": ["read", "write", "delete"], "test_mode": True},
        headers=identity.session_headers,
    )
    assert test_key.status_code == 201, test_key.text
    sandbox = {"Authorization": f"Bearer {test_key.json()['key']}"}
    spec = example_spec("yourcompany")
    settings = settings_factory(spec_path=str(spec))
    app = create_app(spec, settings, plugin_config={"auth": {"sandbox_reset_interval": 0.05}})
    with TestClient(app) as client:
        made = client.post(
            "/v1/resources", json={"name": "t", "type": "processor"}, headers=sandbox
        )
        assert made.status_code == 201, made.text
        live = client.post(
            "/v1/resources", json={"name": "l", "type": "processor"}, headers=identity.headers
        )
        assert live.status_code == 201, live.text
        url = f"/v1/resources/{made.json()['data']['id']}"
        time.sleep(0.5)  # ten ticks: a sandbox younger than a day is not reset
        assert client.get(url, headers=sandbox).status_code == 200

        engine = create_engine(settings.database_url.replace("+aiosqlite", ""))
        with Session(engine) as session, session.begin():
            day_ago = utcnow() - timedelta(hours=25)
            for link in session.scalars(select(SandboxLink)):
                link.created_at = day_ago
                link.reset_at = None if link.reset_at is None else day_ago
        engine.dispose()

        deadline = time.monotonic() + 30
        while client.get(url, headers=sandbox).status_code == 200:
            assert time.monotonic() < deadline, "the day-old sandbox was never reset"
            time.sleep(0.05)
        assert client.get(url, headers=sandbox).status_code == 404
        live_url = f"/v1/resources/{live.json()['data']['id']}"
        assert client.get(live_url, headers=identity.headers).status_code == 200
