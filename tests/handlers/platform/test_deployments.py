"""Deployments: lifecycle (success, failure, events), one active per project, versions, rollback."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from handlers.services import deployment_events
from handlers.services.deployment_runner import DeploymentJob, DeploymentRunner, release
from specway import compat
from tests.handlers.platform.conftest import new_project
from tests.handlers.platform.fake_auth import bearer


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """The events the deployment call sites emit (still written to the real outbox)."""
    seen: list[tuple[str, dict[str, Any]]] = []
    original = deployment_events.write_deployment_event

    async def record(
        database: Any, webhooks: Any, writes: Any, event_type: str, record: Any, org: Any
    ) -> None:
        assert writes  # written with the change it announces, in one transaction
        seen.append((event_type, deployment_events.record_event_data(record)))
        await original(database, webhooks, writes, event_type, record, org)

    monkeypatch.setattr(deployment_events, "write_deployment_event", record)
    return seen


def runner(client: TestClient) -> DeploymentRunner:
    found: DeploymentRunner = client.app.state.services["deployments"]  # type: ignore[attr-defined]
    return found


def wait_idle(client: TestClient) -> None:
    assert client.portal is not None
    client.portal.call(runner(client).wait_idle)


class Gate:
    """A step function that holds each deployment until the test lets it go."""

    def __init__(self, outcome: Exception | None = None) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.outcome = outcome
        self.jobs: list[DeploymentJob] = []

    async def __call__(self, job: DeploymentJob) -> None:
        import asyncio

        self.jobs.append(job)
        self.entered.set()
        if not await asyncio.to_thread(self.release.wait, 10):
            raise TimeoutError("test gate never opened")
        if self.outcome is not None:
            raise self.outcome


@pytest.fixture
def client(platform_app: Callable[..., TestClient]) -> TestClient:
    """On SQLite; the storage-heavy tests take ``db_client`` (SQLite and PostgreSQL)."""
    return platform_app()


@pytest.fixture
def db_client(database_url: str, platform_app: Callable[..., TestClient]) -> TestClient:
    return platform_app(database_url=database_url)


def test_lifecycle_success_makes_config_active(
    db_client: TestClient, events: list[tuple[str, dict[str, Any]]]
) -> None:
    client = db_client
    gate = Gate()
    runner(client).step = gate
    project = new_project(client, config={"region": "us-west-2", "environment": "staging"})
    base = f"/v1/projects/{project['id']}/deployments"

    created = client.post(base, json={"version": "v1.0.0", "config": {"environment": "production"}})
    assert created.status_code == 201, created.text
    deployment = created.json()
    assert deployment["status"] == "pending"
    assert deployment["config"] == {"region": "us-west-2", "environment": "production"}
    assert created.headers["location"] == f"{base}/{deployment['id']}"

    assert gate.entered.wait(10)
    assert client.get(f"{base}/{deployment['id']}").json()["status"] == "in_progress"
    busy = client.post(base, json={"version": "v1.0.1"})
    assert busy.status_code == 409
    assert busy.json()["error"]["details"]["deployment_id"] == deployment["id"]
    # Still the old config while the rollout runs.
    assert client.get(f"/v1/projects/{project['id']}/config").json()["environment"] == "staging"

    gate.release.set()
    wait_idle(client)
    done = client.get(f"{base}/{deployment['id']}").json()
    assert done["status"] == "completed"
    assert done["started_at"] is not None
    assert done["finished_at"] is not None
    assert done["error"] is None
    assert client.get(f"/v1/projects/{project['id']}/config").json() == {
        "region": "us-west-2",
        "environment": "production",
    }
    assert gate.jobs[0].version == "v1.0.0"
    assert gate.jobs[0].config == done["config"]
    assert [e for e, _ in events] == ["deployment.created", "deployment.completed"]
    assert events[0][1]["deployment"]["status"] == "pending"
    assert events[1][1]["deployment"]["id"] == deployment["id"]
    assert events[1][1]["deployment"]["completed_at"] == done["finished_at"]
    assert events[1][1]["deployment"]["environment"] == "production"

    listed = client.get(base)
    assert listed.status_code == 200
    assert [d["id"] for d in listed.json()["deployments"]] == [deployment["id"]]
    assert listed.headers["x-total-count"] == "1"


def test_lifecycle_with_fast_paths_off(
    database_url: str,
    platform_app: Callable[..., TestClient],
    events: list[tuple[str, dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same lifecycle through the libraries' plain paths (``SPECWAY_FAST_PATHS=0``)."""
    monkeypatch.setenv(compat.FAST_PATHS_ENV, "0")
    client = platform_app(database_url=database_url, fast_paths=False)
    assert not client.app.state.database.fast_paths  # type: ignore[attr-defined]
    test_lifecycle_success_makes_config_active(client, events)


def test_failed_step_fails_the_deployment_and_keeps_the_config(
    client: TestClient, events: list[tuple[str, dict[str, Any]]]
) -> None:
    gate = Gate(outcome=RuntimeError("image registry.example/web:v2 not found"))
    gate.release.set()
    runner(client).step = gate
    project = new_project(client, config={"environment": "staging"})
    base = f"/v1/projects/{project['id']}/deployments"

    deployment = client.post(
        base, json={"version": "2.0.0", "config": {"environment": "production"}}
    ).json()
    wait_idle(client)
    failed = client.get(f"{base}/{deployment['id']}").json()
    assert failed["status"] == "failed"
    assert "image registry.example/web:v2 not found" in failed["error"]
    assert client.get(f"/v1/projects/{project['id']}/config").json() == {"environment": "staging"}
    assert [e for e, _ in events] == ["deployment.created", "deployment.failed"]
    assert events[1][1]["deployment"]["error"] == failed["error"]
    # A failed deployment no longer blocks the next one.
    runner(client).step = release
    assert client.post(base, json={"version": "2.0.1"}).status_code == 201
    wait_idle(client)
    only_failed = client.get(base, params={"status": "failed"}).json()["deployments"]
    assert [d["id"] for d in only_failed] == [deployment["id"]]


def test_semver_versions_only(client: TestClient) -> None:
    project = new_project(client)
    base = f"/v1/projects/{project['id']}/deployments"
    for version in ("v1.0.0", "1.0.0", "1.2.3-rc.1+build.5", "v10.20.30"):
        response = client.post(base, json={"version": version})
        assert response.status_code == 201, response.text
        assert response.json()["version"] == version
        wait_idle(client)
    for version in ("1.0", "latest", "v01.0.0", "1.0.0.0", "", "V1.0.0", "1.0.0-"):
        response = client.post(base, json={"version": version})
        assert response.status_code == 400, version
        assert response.json()["error"]["details"][0]["field"] == "version"


def test_invalid_config_is_400_naming_the_field(client: TestClient) -> None:
    project = new_project(client, config={"scaling": {"min_instances": 1, "max_instances": 3}})
    response = client.post(
        f"/v1/projects/{project['id']}/deployments",
        json={"version": "v1.0.0", "config": {"scaling": {"min_instances": 5}}},
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "config.scaling.min_instances"


def test_rollback_redeploys_the_previous_version_and_restores_its_config(
    db_client: TestClient, events: list[tuple[str, dict[str, Any]]]
) -> None:
    client = db_client
    project = new_project(client)
    config_url = f"/v1/projects/{project['id']}/config"
    base = f"/v1/projects/{project['id']}/deployments"
    first = client.post(
        base,
        json={"version": "v1.0.0", "config": {"environment": "staging", "region": "eu-west-1"}},
    ).json()
    wait_idle(client)
    first_rollback = client.post(f"{base}/{first['id']}/rollback")
    assert first_rollback.status_code == 409

    second = client.post(
        base, json={"version": "v1.1.0", "config": {"environment": "production", "region": None}}
    ).json()
    wait_idle(client)
    assert client.get(config_url).json() == {"environment": "production"}

    rolled = client.post(f"{base}/{second['id']}/rollback")
    assert rolled.status_code == 201, rolled.text
    back = rolled.json()
    assert back["version"] == "v1.0.0"
    assert back["rollback_of"] == second["id"]
    assert back["config"] == {"environment": "staging", "region": "eu-west-1"}
    assert rolled.headers["location"] == f"{base}/{back['id']}"
    wait_idle(client)
    assert client.get(f"{base}/{back['id']}").json()["status"] == "completed"
    assert client.get(config_url).json() == {"environment": "staging", "region": "eu-west-1"}
    assert [e for e, _ in events].count("deployment.created") == 3
    listed = client.get(base, params={"order": "asc"}).json()["deployments"]
    assert [d["version"] for d in listed] == ["v1.0.0", "v1.1.0", "v1.0.0"]


def test_rollback_while_a_deployment_is_active_is_409(client: TestClient) -> None:
    project = new_project(client)
    base = f"/v1/projects/{project['id']}/deployments"
    client.post(base, json={"version": "v1.0.0"})
    wait_idle(client)
    second = client.post(base, json={"version": "v1.1.0"}).json()
    wait_idle(client)
    gate = Gate()
    runner(client).step = gate
    client.post(base, json={"version": "v1.2.0"})
    assert gate.entered.wait(10)
    assert client.post(f"{base}/{second['id']}/rollback").status_code == 409
    gate.release.set()
    wait_idle(client)


def test_other_organisations_and_missing_scopes(client: TestClient) -> None:
    project = new_project(client)
    base = f"/v1/projects/{project['id']}/deployments"
    deployment = client.post(base, json={"version": "v1.0.0"}).json()
    wait_idle(client)
    other = bearer("org_other")
    assert client.get(base, headers=other).status_code == 404
    assert client.get(f"{base}/{deployment['id']}", headers=other).status_code == 404
    assert client.post(base, json={"version": "v2.0.0"}, headers=other).status_code == 404
    read_only = bearer(None, "read")
    assert client.get(f"{base}/{deployment['id']}", headers=read_only).status_code == 200
    refused = client.post(base, json={"version": "v2.0.0"}, headers=read_only)
    assert refused.status_code == 403
    assert client.get(f"{base}/dep_doesnotexist").status_code == 404
    assert client.get(base, headers={"Authorization": ""}).status_code == 401


def test_pending_deployments_resume_when_the_app_starts(
    platform_app: Callable[..., TestClient], tmp_path: Any
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'resume.db'}"
    first = platform_app(database_url=url)
    project = new_project(first)
    gate = Gate(outcome=None)
    runner(first).step = gate
    # Submitting is what starts a deployment; a process that dies first leaves it pending.
    runner(first).submit = lambda deployment_id: None  # type: ignore[method-assign]
    deployment = first.post(
        f"/v1/projects/{project['id']}/deployments", json={"version": "v3.0.0"}
    ).json()
    assert deployment["status"] == "pending"
    first.__exit__(None, None, None)

    second = platform_app(database_url=url)
    wait_idle(second)
    resumed = second.get(f"/v1/projects/{project['id']}/deployments/{deployment['id']}").json()
    assert resumed["status"] == "completed"
