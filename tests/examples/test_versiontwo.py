"""VersionTwo (seed 000): the documented requests against ``examples/versiontwo``.

The key is minted through the reference API on the same database (VersionTwo documents key
management only through its CLI).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

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
