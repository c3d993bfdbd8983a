"""CPU and memory: samples the project's runtime reports, averaged per interval (seed 000's
``metrics.cpu`` and ``metrics.memory``), never made up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.handlers.platform.conftest import new_project


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def client(platform_app: Callable[..., TestClient], database_url: str) -> TestClient:
    return platform_app(database_url=database_url)


def test_samples_are_averaged_per_interval_and_gaps_are_null(client: TestClient) -> None:
    project = new_project(client)
    base = f"/v1/projects/{project['id']}/metrics"
    minute = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    samples = [
        {"metric": "cpu", "value": 40, "timestamp": _stamp(minute)},
        {"metric": "cpu", "value": 50.5, "timestamp": _stamp(minute + timedelta(seconds=30))},
        {"metric": "memory", "value": 1024, "timestamp": _stamp(minute)},
        {"metric": "cpu", "value": 10, "timestamp": _stamp(minute + timedelta(minutes=2))},
    ]
    sent = client.post(f"{base}/samples", json={"samples": samples})
    assert sent.status_code == 202, sent.text
    assert sent.json() == {"accepted": 4}

    query = {
        "start_time": _stamp(minute),
        "end_time": _stamp(minute + timedelta(minutes=3)),
        "interval": "1m",
    }
    metrics = client.get(base, params=query).json()["metrics"]
    assert metrics["cpu"]["unit"] == "percent"
    assert metrics["memory"]["unit"] == "MiB"
    assert [p["value"] for p in metrics["cpu"]["values"]] == [45.25, None, 10.0]
    assert [p["value"] for p in metrics["memory"]["values"]] == [1024.0, None, None]
    assert metrics["cpu"]["values"][0]["timestamp"] == _stamp(minute)

    hourly = client.get(base, params={**query, "interval": "1h"}).json()["metrics"]
    cpu = [p["value"] for p in hourly["cpu"]["values"] if p["value"] is not None]
    assert cpu == [pytest.approx((40 + 50.5 + 10) / 3, abs=0.001)]


def test_another_organisation_neither_reports_nor_sees_them(
    client: TestClient, platform_app: Callable[..., TestClient], database_url: str
) -> None:
    project = new_project(client)
    base = f"/v1/projects/{project['id']}/metrics"
    assert (
        client.post(
            f"{base}/samples", json={"samples": [{"metric": "cpu", "value": 1}]}
        ).status_code
        == 202
    )
    other = platform_app(database_url=database_url, org="org_other")
    refused = other.post(f"{base}/samples", json={"samples": [{"metric": "cpu", "value": 99}]})
    assert refused.status_code == 404
    assert other.get(base).status_code == 404


@pytest.mark.parametrize(
    ("sample", "field"),
    [
        ({"metric": "disk", "value": 1}, "samples.0.metric"),
        ({"metric": "cpu", "value": -1}, "samples.0.value"),
        ({"metric": "cpu"}, "samples.0.value"),
        ({"metric": "cpu", "value": 1, "timestamp": "yesterday"}, "samples.0.timestamp"),
        ({"metric": "cpu", "value": 1, "timestamp": "2001-01-01T00:00:00Z"}, "samples.0.timestamp"),
        ({"metric": "cpu", "value": 1, "timestamp": "2999-01-01T00:00:00Z"}, "samples.0.timestamp"),
    ],
)
def test_bad_samples_are_400_naming_the_sample(
    client: TestClient, sample: dict[str, Any], field: str
) -> None:
    project = new_project(client)
    answer = client.post(
        f"/v1/projects/{project['id']}/metrics/samples", json={"samples": [sample]}
    )
    assert answer.status_code == 400, answer.text
    assert field in [d["field"] for d in answer.json()["error"]["details"]]


def test_a_reader_cannot_report(platform_app: Callable[..., TestClient]) -> None:
    writer = platform_app()
    project = new_project(writer)
    reader = platform_app(scopes="read")
    answer = reader.post(
        f"/v1/projects/{project['id']}/metrics/samples",
        json={"samples": [{"metric": "cpu", "value": 1}]},
    )
    assert answer.status_code == 403
