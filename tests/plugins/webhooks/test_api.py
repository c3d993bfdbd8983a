"""The Webhooks API: CRUD, bad input, tenant isolation, test/redeliver/recover, end to end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft4Validator
from standardwebhooks.webhooks import Webhook
from starlette.testclient import TestClient
from webhooks_support import Receiver, Reply, auth

from handlers.services.projects import ProjectStore
from specway.plugins.webhooks import WebhookWorker
from specway.plugins.webhooks.catalogue import openapi_to_jsonschema
from specway.spec import SpecModel

Factory = Callable[..., TestClient]


def check(body: Any, schema: str, model: SpecModel) -> None:
    """``body`` matches ``#/components/schemas/<schema>`` of the reference spec."""
    components = openapi_to_jsonschema(model.document["components"])
    root = {"allOf": [{"$ref": f"#/components/schemas/{schema}"}], "components": components}
    errors = [e.message for e in Draft4Validator(root).iter_errors(body)]
    assert errors == []


def create(client: TestClient, org: str | None, url: str, events: list[str] | None = None) -> Any:
    response = client.post(
        "/v1/webhooks", json={"url": url, "events": events or ["*"]}, headers=auth(org)
    )
    assert response.status_code == 201, response.text
    return response.json()


def run_worker(client: TestClient) -> int:
    """One batch of the app's own database, on the app's event loop."""
    state = client.app.state  # type: ignore[attr-defined]
    worker = WebhookWorker(state.database, state.service("webhooks"))

    async def once() -> int:
        try:
            return await worker.run_once()
        finally:
            await worker.sender.aclose()

    return int(client.portal.call(once))  # type: ignore[union-attr]


def test_crud_and_the_one_time_secret(
    api_factory: Factory, database_url: str, reference_model: SpecModel
) -> None:
    client = api_factory(database_url)
    created = client.post(
        "/v1/webhooks",
        json={
            "url": "http://127.0.0.1:9/hook",
            "events": ["deployment.*", "project.created"],
            "description": "deploys",
        },
        headers=auth("org_a"),
    )
    assert created.status_code == 201
    body = created.json()
    check(body, "WebhookWithSecret", reference_model)
    assert body["secret"].startswith("whsec_")
    assert body["organization"] == "org_a"
    assert body["enabled"] is True
    assert created.headers["location"] == f"/v1/webhooks/{body['id']}"

    got = client.get(f"/v1/webhooks/{body['id']}", headers=auth("org_a"))
    assert got.status_code == 200
    check(got.json(), "Webhook", reference_model)
    assert "secret" not in got.json()
    assert got.json() == {k: v for k, v in body.items() if k != "secret"}

    listed = client.get("/v1/webhooks", headers=auth("org_a"))
    check(listed.json(), "WebhookList", reference_model)
    assert [w["id"] for w in listed.json()["data"]] == [body["id"]]
    assert body["secret"] not in listed.text

    patched = client.patch(
        f"/v1/webhooks/{body['id']}",
        json={"events": ["variable.*"], "enabled": False},
        headers=auth("org_a"),
    )
    assert patched.status_code == 200
    assert patched.json()["events"] == ["variable.*"]
    assert (patched.json()["enabled"], patched.json()["disabled_reason"]) == (False, "manual")
    assert client.get("/v1/webhooks?enabled=true", headers=auth("org_a")).json()["data"] == []

    rotated = client.post(f"/v1/webhooks/{body['id']}/rotate-secret", headers=auth("org_a"))
    assert rotated.status_code == 200
    check(rotated.json(), "WebhookWithSecret", reference_model)
    assert rotated.json()["secret"] != body["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None

    assert client.delete(f"/v1/webhooks/{body['id']}", headers=auth("org_a")).status_code == 204
    assert client.get(f"/v1/webhooks/{body['id']}", headers=auth("org_a")).status_code == 404


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({"url": "https://example.com/h", "events": ["project.exploded"]}, "project.exploded"),
        ({"url": "https://example.com/h", "events": ["nothing.*"]}, "nothing.*"),
        ({"url": "ftp://example.com/h", "events": ["*"]}, "https"),
        ({"url": "https://10.0.0.8/h", "events": ["*"]}, "private"),
        ({"url": "https://169.254.169.254/h", "events": ["*"]}, "link-local"),
        ({"url": "https://[::1]/h", "events": ["*"]}, "loopback"),
        ({"url": "http://127.0.0.2:8080/h", "events": ["*"]}, "loopback"),
        ({"url": "https://x.example/" + "a" * 2100, "events": ["*"]}, "url"),
        ({"url": "https://example.com/h", "events": []}, "events"),
        ({"url": "https://example.com/h"}, "events"),
    ],
)
def test_bad_input_is_a_400_with_the_reason(
    api_factory: Factory, payload: dict[str, Any], needle: str
) -> None:
    client = api_factory()
    response = client.post("/v1/webhooks", json=payload, headers=auth("org_a"))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    assert needle in response.text
    assert response.json()["error"]["request_id"] == response.headers["x-request-id"]


def test_https_is_required_unless_settings_allow_http(api_factory: Factory) -> None:
    client = api_factory(webhook_allow_http=False)
    response = client.post(
        "/v1/webhooks", json={"url": "http://127.0.0.1:9/h", "events": ["*"]}, headers=auth()
    )
    assert response.status_code == 400
    assert "must use https" in response.json()["error"]["message"]


def test_unauthenticated_calls_are_refused(api_factory: Factory) -> None:
    client = api_factory()
    assert client.get("/v1/webhooks").status_code == 401
    assert client.get("/v1/webhooks", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_tenant_isolation_of_subscriptions_and_delivery_logs(
    api_factory: Factory, database_url: str, receiver: Receiver
) -> None:
    client = api_factory(database_url)
    mine = create(client, "org_a", receiver.url)
    test = client.post(f"/v1/webhooks/{mine['id']}/test", headers=auth("org_a"))
    assert test.status_code == 202
    assert run_worker(client) == 1
    delivery_id = test.json()["id"]
    base = f"/v1/webhooks/{mine['id']}"
    for org in ("org_b", None):
        other = auth(org)
        assert client.get("/v1/webhooks", headers=other).json()["data"] == []
        assert client.get(base, headers=other).status_code == 404
        assert client.patch(base, json={"enabled": False}, headers=other).status_code == 404
        assert client.post(f"{base}/rotate-secret", headers=other).status_code == 404
        assert client.post(f"{base}/test", headers=other).status_code == 404
        assert client.get(f"{base}/deliveries", headers=other).status_code == 404
        assert (
            client.post(f"{base}/deliveries/{delivery_id}/redeliver", headers=other).status_code
            == 404
        )
        assert (
            client.post(
                f"{base}/recover", json={"since": "2020-01-01T00:00:00Z"}, headers=other
            ).status_code
            == 404
        )
        assert client.delete(base, headers=other).status_code == 404
    log = client.get(f"{base}/deliveries", headers=auth("org_a")).json()
    assert [d["id"] for d in log["data"]] == [delivery_id]
    assert log["data"][0]["status"] == "succeeded"
    # Another organisation's endpoint never receives org_a's events.
    theirs = create(client, "org_b", receiver.url)
    client.post(f"/v1/webhooks/{mine['id']}/test", headers=auth("org_a"))
    run_worker(client)
    assert (
        client.get(f"/v1/webhooks/{theirs['id']}/deliveries", headers=auth("org_b")).json()["data"]
        == []
    )


def test_project_webhooks(api_factory: Factory, database_url: str) -> None:
    client = api_factory(database_url)
    state = client.app.state  # type: ignore[attr-defined]

    async def make_project(org: str) -> str:
        return str((await ProjectStore(state.database).create(org, {"name": "P"}))["id"])

    project_id = client.portal.call(make_project, "org_a")  # type: ignore[union-attr]
    payload = {"url": "http://127.0.0.1:9/h", "events": ["deployment.completed"]}
    path = f"/v1/projects/{project_id}/webhooks"
    assert client.post(path, json=payload, headers=auth("org_b")).status_code == 404
    missing = client.post(
        "/v1/projects/proj_doesnotexist/webhooks", json=payload, headers=auth("org_a")
    )
    assert missing.status_code == 404
    created = client.post(path, json=payload, headers=auth("org_a"))
    assert created.status_code == 201
    assert created.json()["project_id"] == project_id
    assert created.headers["location"] == f"/v1/webhooks/{created.json()['id']}"
    listed = client.get(f"/v1/webhooks?project_id={project_id}", headers=auth("org_a"))
    assert [w["id"] for w in listed.json()["data"]] == [created.json()["id"]]


def test_test_redeliver_and_recover(
    api_factory: Factory, database_url: str, receiver: Receiver, reference_model: SpecModel
) -> None:
    client = api_factory(database_url)
    hook = create(client, None, receiver.url, ["project.*"])
    base = f"/v1/webhooks/{hook['id']}"
    test = client.post(f"{base}/test", headers=auth())
    check(test.json(), "WebhookDelivery", reference_model)
    assert (test.json()["event"], test.json()["status"]) == ("webhook.test", "pending")
    assert run_worker(client) == 1
    (got,) = receiver.requests
    assert got.json()["event"] == "webhook.test"
    assert (
        Webhook(hook["secret"]).verify(got.body, got.headers)["data"]["webhook"]["id"]
        == (hook["id"])
    )

    again = client.post(f"{base}/deliveries/{test.json()['id']}/redeliver", headers=auth())
    assert again.status_code == 202
    assert again.json()["id"] != test.json()["id"]
    assert again.json()["event_id"] == test.json()["event_id"]
    busy = client.post(f"{base}/deliveries/{test.json()['id']}/redeliver", headers=auth())
    assert busy.status_code == 409
    assert run_worker(client) == 1
    assert [r.headers["webhook-id"] for r in receiver.requests] == [test.json()["event_id"]] * 2

    # The endpoint answers 410: disabled, the delivery failed; re-enable and recover it.
    receiver.script = [Reply(410)]
    assert client.post("/v1/projects", json={"name": "Gone"}, headers=auth()).status_code == 201
    assert run_worker(client) == 1
    disabled = client.get(base, headers=auth()).json()
    assert (disabled["enabled"], disabled["disabled_reason"]) == (False, "gone")
    since = {"since": "2000-01-01T00:00:00Z"}
    assert client.post(f"{base}/recover", json=since, headers=auth()).status_code == 409
    assert client.patch(base, json={"enabled": True}, headers=auth()).status_code == 200
    recovered = client.post(f"{base}/recover", json=since, headers=auth())
    assert recovered.status_code == 202
    assert recovered.json() == {"recovered": 1}
    assert client.post(f"{base}/recover", json=since, headers=auth()).json() == {"recovered": 0}
    assert run_worker(client) == 1
    assert receiver.requests[-1].json()["event"] == "project.created"
    log = client.get(f"{base}/deliveries?event=project.created", headers=auth()).json()
    check(log, "WebhookDeliveryList", reference_model)
    assert [d["status"] for d in log["data"]] == ["succeeded", "failed"]
    assert log["data"][1]["attempt_log"][0]["status_code"] == 410
    failed = client.get(f"{base}/deliveries?status=failed", headers=auth()).json()
    assert len(failed["data"]) == 1
    bad = client.post(f"{base}/recover", json={"since": "yesterday"}, headers=auth())
    assert bad.status_code == 400


def test_the_event_catalogue(api_factory: Factory, reference_model: SpecModel) -> None:
    client = api_factory()
    response = client.get("/v1/webhook-events", headers=auth())
    assert response.status_code == 200
    check(response.json(), "WebhookEventTypeList", reference_model)
    names = [e["name"] for e in response.json()["data"]]
    assert names == sorted(names)
    assert {"project.created", "deployment.failed", "endpoint.disabled"} <= set(names)


def test_project_events_reach_subscribers_through_the_background_worker(
    api_factory: Factory, database_url: str, receiver: Receiver
) -> None:
    """End to end with ``webhook_worker`` on: commit → wake-up → signed POST."""
    client = api_factory(database_url, webhook_worker=True)
    hook = create(client, None, receiver.url, ["project.*"])
    project = client.post("/v1/projects", json={"name": "Alpha"}, headers=auth()).json()
    client.patch(f"/v1/projects/{project['id']}", json={"name": "Beta"}, headers=auth())
    client.delete(f"/v1/projects/{project['id']}", headers=auth())
    got = receiver.wait_for(3)
    by_event = {r.json()["event"]: r for r in got}
    assert set(by_event) == {"project.created", "project.updated", "project.deleted"}
    assert by_event["project.created"].json()["data"]["project"] == project
    assert by_event["project.updated"].json()["data"]["project"]["name"] == "Beta"
    for request in got:
        assert Webhook(hook["secret"]).verify(request.body, request.headers)
    # A failed project write emits nothing (validation error before the handler, or 404).
    missing = client.patch("/v1/projects/proj_missing", json={"name": "X"}, headers=auth())
    assert missing.status_code == 404
    log = client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=auth()).json()
    assert len(log["data"]) == 3
