"""Metrics and logs of a project, from the requests the test makes; the live log stream."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.handlers.platform.conftest import new_project
from tests.handlers.platform.fake_auth import bearer


@pytest.fixture
def client(platform_app: Callable[..., TestClient], database_url: str) -> TestClient:
    """On SQLite and PostgreSQL (the reads are prebuilt statements on each)."""
    # A stream that never sees its line ends (and fails the test) instead of hanging.
    return platform_app(log_stream_max_seconds=20.0, database_url=database_url)


def total(metrics: dict[str, Any], name: str) -> float:
    return sum(point["value"] or 0 for point in metrics["metrics"][name]["values"])


def test_metrics_count_the_requests_made(
    database_url: str, platform_app: Callable[..., TestClient]
) -> None:
    client = platform_app(database_url=database_url)
    project = new_project(client)
    other = new_project(client, name="Other")
    base = f"/v1/projects/{project['id']}"
    statuses = [client.get(f"{base}/config").status_code for _ in range(5)]
    statuses += [client.get(f"{base}/deployments/dep_missing").status_code for _ in range(2)]
    statuses.append(client.patch(f"{base}/config", json={"region": "eu-west-1"}).status_code)
    statuses.append(client.get(f"/v1/projects/{other['id']}/config").status_code)
    assert statuses == [200] * 5 + [404] * 2 + [200, 200]

    response = client.get(f"{base}/metrics", params={"interval": "1m"})
    assert response.status_code == 200, response.text
    metrics = response.json()
    assert metrics["interval"] == "1m"
    assert total(metrics, "requests") == 8
    assert total(metrics, "errors") == 2
    assert total(metrics, "server_errors") == 0
    busy = [p for p in metrics["metrics"]["requests"]["values"] if p["value"]]
    assert sum(p["value"] for p in busy) == 8
    p50 = [p["value"] for p in metrics["metrics"]["latency_p50_ms"]["values"] if p["value"]]
    p95 = [p["value"] for p in metrics["metrics"]["latency_p95_ms"]["values"] if p["value"]]
    assert p50
    assert all(a <= b for a, b in zip(p50, p95, strict=True))
    quiet = [p for p in metrics["metrics"]["latency_p50_ms"]["values"] if not p["value"]]
    assert all(p["value"] is None for p in quiet)

    # The metrics call above is project traffic too (9 now); coarser intervals sum the same.
    for interval in ("5m", "1h"):
        coarse = client.get(f"{base}/metrics", params={"interval": interval}).json()
        assert total(coarse, "requests") >= 9
        assert total(coarse, "errors") == 2
    # Another organisation neither sees the project nor counts in its metrics.
    assert client.get(f"{base}/metrics", headers=bearer("org_other")).status_code == 404


def test_a_day_at_one_minute_and_bad_ranges(client: TestClient) -> None:
    project = new_project(client)
    url = f"/v1/projects/{project['id']}/metrics"
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    day = client.get(
        url,
        params={"start_time": (end - timedelta(days=1)).isoformat(), "end_time": end.isoformat()},
    )
    assert day.status_code == 200, day.text
    assert len(day.json()["metrics"]["requests"]["values"]) == 1440
    assert day.json()["metrics"]["requests"]["values"][0]["timestamp"] == (
        (end - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    )

    def bad(params: dict[str, str]) -> str:
        response = client.get(url, params=params)
        assert response.status_code == 400, response.text
        return str(response.json()["error"]["details"][0]["field"])

    assert bad({"start_time": "2024-02-26T12:00:00Z", "end_time": "2024-02-26T11:00:00Z"}) == (
        "end_time"
    )
    assert bad({"start_time": "2024-01-01T00:00:00Z", "end_time": "2024-01-08T00:00:00Z"}) == (
        "interval"
    )
    assert bad({"interval": "2m"}) == "interval"
    assert bad({"start_time": "yesterday"}) == "start_time"
    # A week at 1h is fine (168 points), a week at 5m too (2016).
    week = {"start_time": "2024-01-01T00:00:00Z", "end_time": "2024-01-08T00:00:00Z"}
    hourly = client.get(url, params={**week, "interval": "1h"}).json()
    assert len(hourly["metrics"]["requests"]["values"]) == 168
    assert (
        len(
            client.get(url, params={**week, "interval": "5m"}).json()["metrics"]["errors"]["values"]
        )
        == 2016
    )


def test_logs_hold_request_and_audit_lines(client: TestClient) -> None:
    project = new_project(client)
    base = f"/v1/projects/{project['id']}"
    ok = client.get(f"{base}/config")
    missing = client.get(f"{base}/deployments/dep_missing")
    patched = client.patch(f"{base}/config", json={"environment": "staging"})

    response = client.get(f"{base}/logs", params={"order": "asc"})
    assert response.status_code == 200, response.text
    lines = response.json()["logs"]
    messages = [(line["component"], line["level"], line["message"]) for line in lines]
    assert messages[0][:2] == ("api", "info")
    assert messages[0][2].startswith(f"GET {base}/config 200 ")
    assert messages[0][2].endswith("ms")
    assert messages[1][:2] == ("api", "warn")
    assert messages[1][2].startswith(f"GET {base}/deployments/dep_missing 404 ")
    assert ("audit", "info", "project.config_updated by key_none: 200") in messages
    assert lines[0]["request_id"] == ok.headers["x-request-id"]
    assert lines[1]["request_id"] == missing.headers["x-request-id"]
    assert patched.headers["x-request-id"] in {line["request_id"] for line in lines}
    assert response.headers["x-total-count"] == str(len(lines))

    warn = client.get(f"{base}/logs", params={"level": "warn"}).json()["logs"]
    assert [line["request_id"] for line in warn] == [missing.headers["x-request-id"]]
    audit = client.get(f"{base}/logs", params={"component": "audit"}).json()["logs"]
    assert len(audit) == 1
    page = client.get(f"{base}/logs", params={"per_page": 2, "page": 1})
    assert len(page.json()["logs"]) == 2
    assert 'rel="next"' in page.headers["link"]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert client.get(f"{base}/logs", params={"start_time": future}).json()["logs"] == []

    unknown = client.get(f"{base}/logs", params={"level": "verbose"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["details"][0]["field"] == "level"
    backwards = client.get(
        f"{base}/logs",
        params={"start_time": "2024-02-26T12:00:00Z", "end_time": "2024-02-26T11:00:00Z"},
    )
    assert backwards.status_code == 400
    assert backwards.json()["error"]["details"][0]["field"] == "end_time"


def _events(lines: Any) -> Any:
    """``(id, data)`` for each SSE ``log`` event in an iterator of lines."""
    event_id = None
    for line in lines:
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            yield event_id, json.loads(line[6:])


def test_stream_receives_a_line_the_test_caused(client: TestClient) -> None:
    project = new_project(client)
    base = f"/v1/projects/{project['id']}"
    with client.stream("GET", f"{base}/logs/stream", params={"component": "api"}) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        caused = client.get(f"{base}/config")
        request_id = caused.headers["x-request-id"]
        seen = []
        event_id = None
        for event_id, data in _events(stream.iter_lines()):  # noqa: B007 - used after
            seen.append(data)
            if data["request_id"] == request_id:
                break
        assert seen[-1]["request_id"] == request_id
        assert seen[-1]["message"].startswith(f"GET {base}/config 200 ")
        assert event_id is not None
        assert event_id.isdigit()

    # Reconnecting with Last-Event-ID first replays what came after it.
    later = client.get(f"{base}/deployments")
    with client.stream(
        "GET", f"{base}/logs/stream", headers={"Last-Event-ID": event_id}
    ) as resumed:
        for _, data in _events(resumed.iter_lines()):
            if data["request_id"] == later.headers["x-request-id"]:
                break


def test_stream_errors(client: TestClient) -> None:
    project = new_project(client)
    url = f"/v1/projects/{project['id']}/logs/stream"
    assert client.get(url, headers=bearer("org_other")).status_code == 404
    assert client.get(url, params={"level": "loud"}).status_code == 400
    assert client.get(url, headers={"Last-Event-ID": "abc"}).status_code == 400


def test_stream_ends_after_its_time_with_keep_alives(
    platform_app: Callable[..., TestClient],
) -> None:
    client = platform_app(log_stream_max_seconds=0.3, log_stream_heartbeat=0.05)
    project = new_project(client)
    with client.stream("GET", f"/v1/projects/{project['id']}/logs/stream") as stream:
        lines = list(stream.iter_lines())
    assert lines[0] == "retry: 3000"
    assert ": keep-alive" in lines
