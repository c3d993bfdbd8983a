"""VersionTwo (seed 000): the documented requests against ``examples/versiontwo``.

The first key is minted through the reference API on the same database (VersionTwo's
documented ways to get one are its CLI and ``POST /api-keys`` with an existing key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from specway.plugins.webhooks.models import WebhookDelivery, WebhookEvent
from tests.conftest import AuthIdentity
from tests.examples.support import shape_problems

PROJECT = {
    "id": "proj_123",
    "name": "My Project",
    "created_at": "2024-02-26T12:00:00Z",
    "updated_at": "2024-02-26T12:00:00Z",
    "config": {"environment": "production", "region": "us-west-2"},
}
WORKSPACE = {"id": "ws_123", "name": "Development", "created_at": "2024-02-26T12:00:00Z"}
DEPLOYMENT = {
    "id": "dep_123",
    "version": "v1.0.0",
    "status": "completed",
    "created_at": "2024-02-26T12:00:00Z",
}
ERROR = {
    "error": {
        "code": "invalid_request",
        "message": "Invalid request parameters",
        "details": None,
    }
}


def check(response: Any, status: int, documented: Any) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    problems = shape_problems(documented, body)
    assert not problems, problems
    return body


@pytest.fixture
def v2(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> tuple[TestClient, dict[str, str]]:
    identity = auth_factory(app_factory())
    return example_client("versiontwo"), identity.headers


def test_documented_requests_replay(v2: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = v2
    created = check(
        client.post(
            "/v1/projects",
            json={
                "name": "New Project",
                "config": {"environment": "production", "region": "us-west-2"},
            },
            headers=auth,
        ),
        201,
        PROJECT,
    )
    pid = created["id"]
    listed = check(client.get("/v1/projects", headers=auth), 200, {"projects": [PROJECT]})
    assert list(listed) == ["projects"]
    check(client.get(f"/v1/projects/{pid}", headers=auth), 200, PROJECT)
    updated = check(
        client.patch(
            f"/v1/projects/{pid}",
            json={"name": "Updated Project", "config": {"environment": "staging"}},
            headers=auth,
        ),
        200,
        PROJECT,
    )
    assert updated["config"] == {"environment": "staging", "region": "us-west-2"}

    ws = check(
        client.post(
            "/v1/workspaces",
            json={"name": "New Workspace", "config": {"environment": "development"}},
            headers=auth,
        ),
        201,
        WORKSPACE,
    )
    check(client.get("/v1/workspaces", headers=auth), 200, {"workspaces": [WORKSPACE]})
    check(client.get(f"/v1/workspaces/{ws['id']}", headers=auth), 200, WORKSPACE)

    dep = check(
        client.post(
            f"/v1/projects/{pid}/deployments",
            json={"version": "v1.0.0", "config": {"environment": "production"}},
            headers=auth,
        ),
        201,
        DEPLOYMENT,
    )
    check(
        client.get(f"/v1/projects/{pid}/deployments", headers=auth),
        200,
        {"deployments": [DEPLOYMENT]},
    )
    check(client.get(f"/v1/projects/{pid}/deployments/{dep['id']}", headers=auth), 200, DEPLOYMENT)

    metrics = client.get(f"/v1/projects/{pid}/metrics?interval=5m", headers=auth)
    assert metrics.status_code == 200, metrics.text
    assert isinstance(metrics.json()["metrics"], dict)
    logs = client.get(f"/v1/projects/{pid}/logs?level=info", headers=auth)
    assert logs.status_code == 200, logs.text
    assert isinstance(logs.json()["logs"], list)

    config = {
        "environment": "production",
        "region": "us-west-2",
        "scaling": {"min_instances": 2, "max_instances": 10},
    }
    got = client.patch(f"/v1/projects/{pid}/config", json=config, headers=auth)
    assert got.status_code == 200, got.text
    assert (
        client.get(f"/v1/projects/{pid}/config", headers=auth).json()["scaling"]["max_instances"]
        == 10
    )

    assert client.delete(f"/v1/projects/{pid}", headers=auth).status_code == 204
    gone = check(client.get(f"/v1/projects/{pid}", headers=auth), 404, ERROR)
    assert gone["error"]["code"] == "not_found"


def test_errors_are_nested_lowercase(v2: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = v2
    bad = check(client.post("/v1/projects", json={}, headers=auth), 400, ERROR)
    assert bad["error"]["code"] == "invalid_request"
    # `details` is documented as optional context; a missing credential has none.
    plain = {"error": {"code": "unauthorized", "message": "Authentication required"}}
    assert check(client.get("/v1/projects"), 401, plain)["error"]["code"] == "unauthorized"


API_KEY = {"name": "Production Key", "permissions": ["read", "write"]}


def test_api_keys_with_permissions(v2: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = v2
    created = client.post("/v1/api-keys", json=API_KEY, headers=auth)
    assert created.status_code == 201, created.text
    key = created.json()
    assert key["permissions"] == ["read", "write"]
    assert "scopes" not in key
    assert key["key"].startswith("sk_live_")
    assert created.headers["cache-control"] == "no-store"

    listed = client.get("/v1/api-keys", headers=auth)
    assert listed.status_code == 200, listed.text
    assert list(listed.json()) == ["api_keys"]
    (shown,) = [k for k in listed.json()["api_keys"] if k["id"] == key["id"]]
    assert shown["permissions"] == ["read", "write"]
    assert key["key"] not in listed.text

    # The new key does what its permissions allow, and nothing more.
    own = {"Authorization": f"Bearer {key['key']}"}
    made = client.post("/v1/projects", json={"name": "Keyed"}, headers=own)
    assert made.status_code == 201, made.text
    refused = client.delete(f"/v1/projects/{made.json()['id']}", headers=own)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"

    assert client.delete(f"/v1/api-keys/{key['id']}", headers=auth).status_code == 204
    assert client.get("/v1/projects", headers=own).status_code == 401
    gone = client.delete(f"/v1/api-keys/{key['id']}", headers=auth)
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "not_found")


def test_api_key_bad_input_is_nested(v2: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = v2
    for body in (
        {"name": "x", "permissions": ["superuser"]},
        {"name": "x", "scopes": ["read"]},
        {"name": "x", "permissions": []},
    ):
        bad = check(client.post("/v1/api-keys", json=body, headers=auth), 400, ERROR)
        assert bad["error"]["code"] == "invalid_request"
    read_only = client.post(
        "/v1/api-keys", json={"name": "r", "permissions": ["read"]}, headers=auth
    )
    reader = {"Authorization": f"Bearer {read_only.json()['key']}"}
    escalate = client.post("/v1/api-keys", json=API_KEY, headers=reader)
    assert (escalate.status_code, escalate.json()["error"]["code"]) == (403, "forbidden")


def test_project_webhooks(v2: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = v2
    pid = client.post("/v1/projects", json={"name": "Hooked"}, headers=auth).json()["id"]
    # The seed's example URL, pointed at a local receiver (no DNS in tests; 127.0.0.1 is
    # allow-listed by the test settings).
    hook_body = {
        "url": "http://127.0.0.1:9/webhook",
        "events": ["deployment.completed", "deployment.failed"],
    }
    created = client.post(f"/v1/projects/{pid}/webhooks", json=hook_body, headers=auth)
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["secret"].startswith("whsec_")
    assert (hook["project_id"], hook["events"]) == (pid, hook_body["events"])
    assert "location" not in created.headers  # VersionTwo has no route to read a webhook back

    unknown = {"url": "http://127.0.0.1:9/webhook", "events": ["deployment.exploded"]}
    bad = check(client.post(f"/v1/projects/{pid}/webhooks", json=unknown, headers=auth), 400, ERROR)
    assert bad["error"]["code"] == "invalid_request"
    missing = client.post("/v1/projects/proj_nope/webhooks", json=hook_body, headers=auth)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")

    # A project event reaches the project's webhook through the outbox.
    every = {"url": "http://127.0.0.1:9/all", "events": ["deployment.*"]}
    all_hook = client.post(f"/v1/projects/{pid}/webhooks", json=every, headers=auth).json()
    dep = client.post(f"/v1/projects/{pid}/deployments", json={"version": "v1.0.0"}, headers=auth)
    assert dep.status_code == 201, dep.text
    assert "deployment.created" in delivered_events(client, all_hook["id"])
    assert "deployment.created" not in delivered_events(client, hook["id"])


def delivered_events(client: TestClient, endpoint_id: str) -> list[str]:
    """Event types queued for ``endpoint_id`` in the app's own database."""
    state = client.app.state  # type: ignore[attr-defined]

    async def query() -> list[str]:
        async with state.database.session() as session:
            rows = await session.execute(
                select(WebhookEvent.type)
                .join(WebhookDelivery, WebhookDelivery.event_id == WebhookEvent.id)
                .where(WebhookDelivery.endpoint_id == endpoint_id)
            )
            return list(rows.scalars())

    return list(client.portal.call(query))  # type: ignore[union-attr]


def test_rate_limit_is_100_per_minute_per_key(v2: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = v2
    first = client.get("/v1/projects", headers=auth)
    assert first.headers["X-RateLimit-Limit"] == "100"
    assert first.headers["X-RateLimit-Remaining"] == "99"
    assert int(first.headers["X-RateLimit-Reset"]) > 0
    # A burst of 100 per key passes (the limit refills continuously, so a slow run may pass a
    # few more); then the key is limited.
    allowed = 1
    response = client.get("/v1/workspaces", headers=auth)
    while response.status_code == 200 and allowed < 400:
        allowed += 1
        response = client.get("/v1/workspaces", headers=auth)
    assert allowed >= 100
    assert check(response, 429, ERROR)["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0
