"""Hexabase (seed 001) "Resource Monitoring" and "Project Deployment" over HTTP: workload
samples in, ``metrics.query`` buckets out, alert rules that fire once, and deploys whose
``from_secret`` references must name a workspace secret. The seed's SDK snippets themselves
run in ``test_seed_snippets.py``."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy import Table, select
from starlette.testclient import TestClient

from examples.hexabase.deployment_logs import LogLine, LogStore
from examples.hexabase.models import DeploySource, WorkspaceSecret
from handlers.services.deployment_store import DeploymentStore
from specway.settings import secret_box
from tests.conftest import AuthIdentity
from tests.examples.seed_support import hexabase_key
from tests.plugins.webhooks.webhooks_support import Receiver


@pytest.fixture
def hexabase(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
    database_url: str,
) -> tuple[TestClient, dict[str, str]]:
    """Hexabase and an admin key, on SQLite and on PostgreSQL (the stores' two paths)."""
    client = example_client("hexabase", database_url=database_url)
    reference = functools.partial(app_factory, database_url=database_url)
    return client, hexabase_key(client, reference, auth_factory)


def workspace(client: TestClient, auth: dict[str, str], name: str = "production") -> str:
    made = client.post("/v1/workspaces", json={"name": name}, headers=auth)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def report(client: TestClient, auth: dict[str, str], ws: str, *samples: dict[str, Any]) -> Any:
    sent = client.post(
        f"/v1/workspaces/{ws}/metrics/samples", json={"samples": list(samples)}, headers=auth
    )
    assert sent.status_code == 202, sent.text
    return sent.json()


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json()["error"])


def test_metrics_query_buckets_what_was_reported(
    hexabase: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = hexabase
    ws = workspace(client, auth)
    other = workspace(client, auth, "staging")
    now = datetime.now(UTC)
    earlier = (now - timedelta(minutes=10)).isoformat()
    report(
        client,
        auth,
        ws,
        {"metric": "cpu_usage", "value": 40, "timestamp": earlier},
        {"metric": "cpu_usage", "value": 60, "timestamp": earlier},
        {"metric": "cpu_usage", "value": 90},
        {"metric": "memory_usage", "value": 512},
    )
    report(client, auth, other, {"metric": "cpu_usage", "value": 5})

    got = client.get(
        f"/v1/workspaces/{ws}/metrics", params={"metric": "cpu_usage", "period": "1h"}, headers=auth
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["metric"], body["unit"], body["period"], body["interval"]) == (
        "cpu_usage",
        "percent",
        "1h",
        "1m",
    )
    assert (body["samples"], body["value"]) == (3, pytest.approx(63.333, abs=0.001))
    assert len(body["data"]) == 60
    filled = [p for p in body["data"] if p["value"] is not None]
    assert [(p["value"], p["samples"]) for p in filled] == [(50.0, 2), (90.0, 1)]
    peak = client.get(
        f"/v1/workspaces/{ws}/metrics",
        params={"metric": "cpu_usage", "period": "24h", "aggregation": "max"},
        headers=auth,
    ).json()
    assert (peak["interval"], peak["value"], len(peak["data"])) == ("15m", 90.0, 96)
    empty = client.get(
        f"/v1/workspaces/{other}/metrics", params={"metric": "memory_usage"}, headers=auth
    )
    assert (empty.json()["samples"], empty.json()["value"]) == (0, None)


def test_metrics_bad_input_is_a_4xx_naming_the_field(
    hexabase: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = hexabase
    ws = workspace(client, auth)
    bad_period = client.get(
        f"/v1/workspaces/{ws}/metrics", params={"metric": "cpu_usage", "period": "2h"}, headers=auth
    )
    assert error_of(bad_period, 400)["details"]["field"] == "period"
    bad_metric = client.get(f"/v1/workspaces/{ws}/metrics", params={"metric": "gpu"}, headers=auth)
    assert error_of(bad_metric, 400)["details"]["field"] == "metric"
    old = (datetime.now(UTC) - timedelta(days=31)).isoformat()
    too_old = client.post(
        f"/v1/workspaces/{ws}/metrics/samples",
        json={"samples": [{"metric": "cpu_usage", "value": 1, "timestamp": old}]},
        headers=auth,
    )
    assert error_of(too_old, 400)["details"]["field"] == "samples.0.timestamp"
    unknown = client.get(
        "/v1/workspaces/ws_nothere/metrics", params={"metric": "cpu_usage"}, headers=auth
    )
    assert error_of(unknown, 404)["code"] == "RESOURCE_NOT_FOUND"


def test_alert_fires_once_until_it_resolves(
    hexabase: tuple[TestClient, dict[str, str]], receiver: Receiver
) -> None:
    client, auth = hexabase
    ws = workspace(client, auth)
    hook = client.post(
        "/v1/webhooks", json={"url": receiver.url, "events": ["alert.triggered"]}, headers=auth
    )
    assert hook.status_code == 201, hook.text
    made = client.post(
        "/v1/alerts",
        json={
            "name": "High CPU",
            "condition": "avg(cpu_usage) > 80",
            "duration": "5m",
            "notifications": ["email:ops@example.com"],
        },
        headers=auth,
    )
    assert made.status_code == 201, made.text
    alert = made.json()
    assert (alert["state"], alert["condition"], alert["duration"]) == (
        "ok",
        "avg(cpu_usage) > 80",
        "5m",
    )

    assert report(client, auth, ws, {"metric": "cpu_usage", "value": 50})["alerts_triggered"] == []
    assert report(client, auth, ws, {"metric": "cpu_usage", "value": 150})["alerts_triggered"] == [
        alert["id"]
    ]
    # avg(50, 150, 95) = 98.3 still > 80: firing already, nothing new.
    assert report(client, auth, ws, {"metric": "cpu_usage", "value": 95})["alerts_triggered"] == []
    delivered = json.loads(receiver.wait_for(1)[0].body)
    assert (delivered["event"], delivered["data"]["alert"]["id"]) == (
        "alert.triggered",
        alert["id"],
    )
    assert (delivered["data"]["alert"]["state"], delivered["data"]["value"]) == ("firing", 100.0)
    firing = client.get(f"/v1/alerts/{alert['id']}", headers=auth).json()
    assert (firing["state"], firing["last_value"]) == ("firing", pytest.approx(98.333, abs=0.001))
    assert firing["triggered_at"] is not None

    acked = client.post(f"/v1/alerts/{alert['id']}/acknowledge", headers=auth)
    assert acked.status_code == 200, acked.text
    assert acked.json()["state"] == "acknowledged"
    listed = client.get("/v1/alerts", params={"state": "acknowledged"}, headers=auth).json()
    assert [a["id"] for a in listed["data"]] == [alert["id"]]

    # Enough low samples bring the 5-minute average under 80: resolved, ready to fire again.
    report(client, auth, ws, *({"metric": "cpu_usage", "value": 0} for _ in range(10)))
    resolved = client.get(f"/v1/alerts/{alert['id']}", headers=auth).json()
    assert (resolved["state"], resolved["resolved_at"] is not None) == ("ok", True)
    not_firing = client.post(f"/v1/alerts/{alert['id']}/acknowledge", headers=auth)
    assert error_of(not_firing, 409)["code"] == "CONFLICT"

    assert len(receiver.requests) == 1  # fired once, not on every crossing sample
    assert client.delete(f"/v1/alerts/{alert['id']}", headers=auth).status_code == 204
    assert (
        error_of(client.get(f"/v1/alerts/{alert['id']}", headers=auth), 404)["code"]
        == "RESOURCE_NOT_FOUND"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("condition", "avg(cpu_usage) >> 80"),
        ("condition", "median(cpu_usage) > 80"),
        ("condition", "avg(gpu_usage) > 80"),
        ("condition", "avg(cpu_usage) > 80; drop table"),
        ("duration", "5 minutes"),
        ("duration", "2d"),
        ("notifications.0", ["sms:+15550100"]),
    ],
)
def test_bad_alert_is_400_naming_the_field(
    hexabase: tuple[TestClient, dict[str, str]], field: str, value: Any
) -> None:
    client, auth = hexabase
    body = {"name": "x", "condition": "avg(cpu_usage) > 80", "duration": "5m"}
    body[field.split(".")[0]] = value
    error = error_of(client.post("/v1/alerts", json=body, headers=auth), 400)
    assert error["details"]["field"] == field


def test_deploy_resolves_secrets_and_reports_its_phase(
    hexabase: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = hexabase
    ws = workspace(client, auth)
    body = {
        "workspace_id": ws,
        "name": "my-app",
        "source": "github.com/myorg/myapp",
        "environment": {
            "DATABASE_URL": "postgresql://db/app",
            "API_KEY": {"from_secret": "api-key"},
        },
    }
    missing = client.post("/v1/deployments", json=body, headers=auth)
    error = error_of(missing, 422)
    assert error["details"]["field"] == "environment.API_KEY"

    put = client.put(
        f"/v1/workspaces/{ws}/secrets/api-key", json={"value": "sk_live_1"}, headers=auth
    )
    assert put.status_code == 201, put.text
    assert "value" not in put.json()
    deployed = client.post("/v1/deployments", json=body, headers=auth)
    assert deployed.status_code == 201, deployed.text
    deployment = deployed.json()
    assert (deployment["name"], deployment["workspace_id"], deployment["source"]) == (
        "my-app",
        ws,
        "github.com/myorg/myapp",
    )
    assert deployment["environment"]["API_KEY"] == {"from_secret": "api-key"}
    assert deployment["phase"] in {"pending", "building", "running"}
    status = client.get(f"/v1/deployments/{deployment['id']}/status", headers=auth)
    assert status.status_code == 200, status.text
    assert status.json()["phase"] in {"pending", "building", "running"}
    projects = client.get("/v1/projects", headers=auth).json()["data"]
    assert [p["name"] for p in projects] == ["my-app"]
    # The deployed project belongs to its workspace, as GraphQL reads it (config.workspace_id).
    query = "query($id: ID!) { workspace(id: $id) { projects { name } } }"
    read = client.post("/v1/graphql", json={"query": query, "variables": {"id": ws}}, headers=auth)
    assert read.status_code == 200, read.text
    assert [p["name"] for p in read.json()["data"]["workspace"]["projects"]] == ["my-app"]
    unknown = client.get("/v1/deployments/dep_nothere/status", headers=auth)
    assert error_of(unknown, 404)["code"] == "RESOURCE_NOT_FOUND"
    for bad in ({"from_secret": "api-key", "x": 1}, {"from_secret": "no spaces"}, 42, ["a"]):
        wrong = client.post(
            "/v1/deployments", json={**body, "environment": {"API_KEY": bad}}, headers=auth
        )
        assert error_of(wrong, 400)["details"]["field"] == "environment.API_KEY", bad
    gone = client.delete(f"/v1/workspaces/{ws}/secrets/api-key", headers=auth)
    assert gone.status_code == 204, gone.text
    again = client.post("/v1/deployments", json=body, headers=auth)
    assert error_of(again, 422)["details"]["field"] == "environment.API_KEY"
    no_ws = client.post(
        "/v1/deployments", json={**body, "workspace_id": "ws_nothere"}, headers=auth
    )
    assert error_of(no_ws, 404)["code"] == "RESOURCE_NOT_FOUND"


def test_secrets_are_sealed_and_replaced_in_place(
    hexabase: tuple[TestClient, dict[str, str]],
) -> None:
    """A secret's value is stored sealed (its row id the associated data); a second PUT
    replaces it (200, same created_at); another workspace's or organisation's is a 404."""
    client, auth = hexabase
    ws = workspace(client, auth)
    url = f"/v1/workspaces/{ws}/secrets/db-password"
    first = client.put(url, json={"value": "hunter2"}, headers=auth)
    assert first.status_code == 201, first.text
    second = client.put(url, json={"value": "correct horse"}, headers=auth)
    assert second.status_code == 200, second.text
    assert second.json()["created_at"] == first.json()["created_at"]
    assert (second.json()["name"], second.json()["workspace_id"]) == ("db-password", ws)
    state = client.app.state  # type: ignore[attr-defined]
    table = cast(Table, WorkspaceSecret.__table__)

    async def stored() -> list[Any]:
        query = select(table.c.id, table.c.value_ciphertext).where(table.c.workspace_id == ws)
        async with state.database.engine.connect() as connection:
            return list(await connection.execute(query))

    rows = client.portal.call(stored)  # type: ignore[union-attr]
    assert len(rows) == 1
    secret_id, sealed = rows[0]
    assert "correct horse" not in sealed
    assert secret_box(state.settings).open(sealed, secret_id) == "correct horse"
    other = workspace(client, auth, "staging")
    missing = client.delete(f"/v1/workspaces/{other}/secrets/db-password", headers=auth)
    assert error_of(missing, 404)["details"] == {
        "resource_type": "secret",
        "resource_id": "db-password",
    }
    no_ws = client.put("/v1/workspaces/ws_nothere/secrets/x", json={"value": "v"}, headers=auth)
    assert error_of(no_ws, 404)["details"]["resource_type"] == "workspace"
    assert client.delete(url, headers=auth).status_code == 204
    assert client.portal.call(stored) == []  # type: ignore[union-attr]


def test_deployment_logs_are_stored_in_order_and_read_back_after_an_id(
    hexabase: tuple[TestClient, dict[str, str]],
) -> None:
    """What ``client.logs.stream`` replays after ``Last-Event-ID``: the lines reported, in
    order, after the given one; an unknown deployment is a 404. The deploy wrote its source
    row with the deployment."""
    client, auth = hexabase
    ws = workspace(client, auth)
    body = {"workspace_id": ws, "name": "logged", "source": "github.com/o/logged"}
    deployed = client.post("/v1/deployments", json=body, headers=auth)
    assert deployed.status_code == 201, deployed.text
    deployment_id = deployed.json()["id"]
    lines = [{"message": "one"}, {"message": "two", "level": "warn"}, {"message": "three"}]
    sent = client.post(f"/v1/deployments/{deployment_id}/logs", json={"lines": lines}, headers=auth)
    assert (sent.status_code, sent.json()) == (202, {"accepted": 3}), sent.text
    database = client.app.state.database  # type: ignore[attr-defined]

    async def after(line_id: int) -> list[LogLine]:
        owner = await DeploymentStore(database).with_owner(deployment_id)
        assert owner is not None
        return await LogStore(database).after(owner[1], deployment_id, line_id)

    stored = client.portal.call(after, 0)  # type: ignore[union-attr]
    assert [(line.message, line.level) for line in stored] == [
        ("one", "info"),
        ("two", "warn"),
        ("three", "info"),
    ]
    rest = client.portal.call(after, stored[0].id or 0)  # type: ignore[union-attr]
    assert [line.message for line in rest] == ["two", "three"]
    assert client.portal.call(after, stored[2].id or 0) == []  # type: ignore[union-attr]
    sources = cast(Table, DeploySource.__table__)

    async def source() -> list[Any]:
        query = select(sources.c.workspace_id, sources.c.source, sources.c.environment)
        async with database.engine.connect() as connection:
            found = await connection.execute(query.where(sources.c.deployment_id == deployment_id))
            return list(found)

    # Written with the deployment, in its transaction (DeploymentStore's with_writes).
    assert client.portal.call(source) == [(ws, "github.com/o/logged", {})]  # type: ignore[union-attr]
    unknown = client.post("/v1/deployments/dep_nothere/logs", json={"lines": lines}, headers=auth)
    assert error_of(unknown, 404)["details"]["resource_type"] == "deployment"
