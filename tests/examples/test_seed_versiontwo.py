"""VersionTwo (seed 000): each deviation issue 30 found, checked against the seed's own example.

Each test quotes the seed lines it checks (``/work/shared/seeds/000_*.txt``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from tests.conftest import AuthIdentity
from tests.examples.seed_support import Client, assert_unix_reset, served


@pytest.fixture
def versiontwo(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> Client:
    return served("versiontwo", example_client, app_factory, auth_factory)


def test_versiontwo_reset_is_unix_time(versiontwo: Client) -> None:
    # Seed 000: "X-RateLimit-Reset: Time when rate limit resets"; its spec: "Unix time the
    # rate limit resets."
    client, auth = versiontwo
    assert_unix_reset(client.get("/v1/projects", headers=auth), 60)


def test_versiontwo_validation_details_is_one_object(versiontwo: Client) -> None:
    # Seed 000: {"error": {"code": "invalid_request", "message": "Invalid request parameters",
    #            "details": {"field": "name", "reason": "required"}}}
    client, auth = versiontwo
    response = client.post("/v1/projects", json={}, headers=auth)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"] == "Invalid request parameters"
    assert error["details"] == {"field": "name", "reason": "required"}


def test_versiontwo_log_lines_carry_the_path_once(versiontwo: Client) -> None:
    client, auth = versiontwo
    project = client.post("/v1/projects", json={"name": "Logged"}, headers=auth).json()
    assert client.get(f"/v1/projects/{project['id']}", headers=auth).status_code == 200
    logs = client.get(f"/v1/projects/{project['id']}/logs?order=asc", headers=auth)
    assert logs.status_code == 200, logs.text
    messages = [line["message"] for line in logs.json()["logs"]]
    assert any(f"/v1/projects/{project['id']}" in m for m in messages), messages
    assert not any("/v1/v1/" in m for m in messages), messages


def test_versiontwo_rollback_redeploys_the_previous_version(versiontwo: Client) -> None:
    # Seed 000: POST /projects/{project_id}/deployments/{deployment_id}/rollback.
    client, auth = versiontwo
    runner = client.app.state.services["deployments"]  # type: ignore[attr-defined]
    assert client.portal is not None
    project = client.post("/v1/projects", json={"name": "Rolled"}, headers=auth).json()
    base = f"/v1/projects/{project['id']}/deployments"
    client.post(base, json={"version": "v1.0.0"}, headers=auth)
    client.portal.call(runner.wait_idle)
    second = client.post(base, json={"version": "v1.1.0"}, headers=auth).json()
    client.portal.call(runner.wait_idle)
    rolled = client.post(f"{base}/{second['id']}/rollback", headers=auth)
    assert rolled.status_code == 201, rolled.text
    assert rolled.json()["version"] == "v1.0.0"
    assert set(rolled.json()) >= {"id", "version", "status", "created_at"}


def test_versiontwo_metrics_show_the_reported_cpu_and_memory(versiontwo: Client) -> None:
    # Seed 000: {"metrics": {"cpu": {"values": [{"timestamp": "2024-02-26T12:00:00Z",
    # "value": 45.2}]}, "memory": {"values": [{"timestamp": ..., "value": 1024}]}}}
    client, auth = versiontwo
    project = client.post("/v1/projects", json={"name": "Measured"}, headers=auth).json()
    base = f"/v1/projects/{project['id']}/metrics"
    samples = {"samples": [{"metric": "cpu", "value": 45.2}, {"metric": "memory", "value": 1024}]}
    reported = client.post(f"{base}/samples", json=samples, headers=auth)
    assert (reported.status_code, reported.json()) == (202, {"accepted": 2})
    metrics = client.get(f"{base}?interval=1h", headers=auth)
    assert metrics.status_code == 200, metrics.text
    series = metrics.json()["metrics"]
    cpu = [p["value"] for p in series["cpu"]["values"] if p["value"] is not None]
    memory = [p["value"] for p in series["memory"]["values"] if p["value"] is not None]
    assert (cpu, memory) == ([45.2], [1024])
    assert all(isinstance(p["timestamp"], str) for p in series["cpu"]["values"])
