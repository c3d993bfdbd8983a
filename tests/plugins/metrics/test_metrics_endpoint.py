"""``/metrics``: Prometheus text that parses, counters that move, access by token."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from specway.app import load_spec, resolve_handlers
from specway.plugins.metrics import counters

REFERENCE = Path(__file__).resolve().parents[3] / "openapi.yaml"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient, headers: dict[str, str] | None = None) -> Samples:
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_counters_move_as_requests_are_made(
    app_factory: Callable[..., TestClient], auth_factory: Callable[..., Any]
) -> None:
    client = app_factory()  # the spec's plugins: metrics and the real auth among them
    writer = auth_factory(client, scopes=("read", "write"))
    before = scrape(client)
    for name in ("a", "b"):
        assert (
            client.post("/v1/projects", json={"name": name}, headers=writer.headers).status_code
            == 201
        )
    assert client.post("/v1/projects", json={}, headers=writer.headers).status_code == 400
    assert client.get("/nowhere").status_code == 404
    assert client.get("/v1/audit-logs").status_code == 401
    bad_key = {"Authorization": f"Bearer {writer.key}x"}
    assert client.get("/v1/audit-logs", headers=bad_key).status_code == 401
    assert client.get("/v1/audit-logs", headers=writer.headers).status_code == 403
    wrong = {"email": writer.email, "password": "not-the-password"}
    assert client.post("/v1/auth/login", json=wrong).status_code == 401
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "specway_http_requests_total"
    assert delta(requests, operation="createProject", method="POST", status="201") == 2
    assert delta(requests, operation="createProject", method="POST", status="400") == 1
    assert delta(requests, operation="unmatched", method="GET", status="404") == 1
    assert delta(requests, operation="listAuditLogs", method="GET", status="401") == 2
    assert delta(requests, operation="listAuditLogs", method="GET", status="403") == 1
    latency = "specway_http_request_duration_seconds"
    assert delta(f"{latency}_count", operation="createProject", method="POST") == 3
    assert delta(f"{latency}_bucket", operation="createProject", method="POST", le="+Inf") == 3
    assert delta(f"{latency}_sum", operation="createProject", method="POST") > 0
    failures = "specway_auth_failures_total"
    assert delta(failures, operation="listAuditLogs", reason="unauthenticated") == 2
    assert delta(failures, operation="listAuditLogs", reason="forbidden") == 1
    assert delta(failures, operation="loginUser", reason="unauthenticated") == 1
    assert delta(failures, operation="createProject", reason="unauthenticated") == 0


def test_crashes_are_counted_as_500(app_factory: Callable[..., TestClient]) -> None:
    async def broken() -> Any:
        raise RuntimeError("boom")

    handlers = resolve_handlers(load_spec(REFERENCE)) | {"getApiIndex": broken}
    client = app_factory(plugins=("metrics",), handlers=handlers)
    before = scrape(client)
    assert client.get("/v1").status_code == 500
    after = scrape(client)
    name, labels = "specway_http_requests_total", {"operation": "getApiIndex", "method": "GET"}
    assert (
        value(after, name, status="500", **labels) - value(before, name, status="500", **labels)
        == 1
    )


def test_counting_functions_for_other_plugins(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory(plugins=("metrics",))
    before = scrape(client)
    counters.ratelimit_decision("limited", "burst")
    counters.ratelimit_decision("allowed", "burst")
    counters.ratelimit_decision("allowed", "burst")
    counters.webhook_delivery("delivered")
    counters.backend_error("redis", "ratelimit")
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("specway_ratelimit_decisions_total", decision="allowed", policy="burst") == 2
    assert delta("specway_ratelimit_decisions_total", decision="limited", policy="burst") == 1
    assert delta("specway_webhook_deliveries_total", outcome="delivered") == 1
    assert delta("specway_backend_errors_total", backend="redis", component="ratelimit") == 1


def test_token_restricts_access(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory(plugins=("metrics",), metrics_token="m-token-123")
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["error"]["code"] == "unauthorized"
    assert missing.json()["error"]["request_id"] == missing.headers["x-request-id"]
    wrong = client.get("/metrics", headers={"Authorization": "Bearer m-token-12"})
    assert wrong.status_code == 401
    assert (
        "specway_http_requests"
        in client.get("/metrics", headers={"Authorization": "Bearer m-token-123"}).text
    )


def test_disabled_means_no_endpoint(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory(plugins=("metrics",), metrics_enabled=False)
    response = client.get("/metrics")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
