"""Batch: operations run in order through the whole pipeline, each with its own outcome.

With the real auth plugin merged, extend :func:`test_scopes_apply_per_operation` to API keys
minted through ``plugins.auth`` and add a rate-limit cost check per operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.handlers.platform.conftest import new_project
from tests.handlers.platform.fake_auth import bearer


@pytest.fixture
def client(platform_app: Callable[..., TestClient]) -> TestClient:
    return platform_app()


def batch(client: TestClient, *ops: dict[str, Any], **kwargs: Any) -> Any:
    return client.post("/v1/batch", json={"operations": list(ops)}, **kwargs)


def test_results_in_order_each_with_its_own_outcome(client: TestClient) -> None:
    response = batch(
        client,
        {"method": "POST", "path": "/projects", "body": {"name": "New Project"}},
        {"method": "POST", "path": "/projects", "body": {"description": "no name"}},
        {"method": "GET", "path": "/v1/projects?per_page=1&sort=name"},
        {"method": "DELETE", "path": "/projects/proj_doesnotexist"},
        {"method": "POST", "path": "/batch", "body": {"operations": []}},
        {"method": "GET", "path": "/nowhere"},
        headers={"X-Request-ID": "req_batch_1"},
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 400, 200, 404, 400, 404]
    assert [r["index"] for r in results] == list(range(6))
    created = results[0]["body"]
    assert created["name"] == "New Project"
    assert results[0]["headers"]["location"] == f"/v1/projects/{created['id']}"
    # Validation ran on the sub-request: its own envelope, its own derived request id.
    error = results[1]["body"]["error"]
    assert error["details"][0] == {"field": "name", "in": "body", "reason": "required"}
    assert error["request_id"] == "req_batch_1.2"
    assert results[1]["headers"]["x-request-id"] == "req_batch_1.2"
    assert results[2]["body"]["pagination"]["per_page"] == 1
    assert results[3]["body"]["error"]["code"] == "not_found"
    assert "batch" in results[4]["body"]["error"]["message"]
    assert results[4]["body"]["error"]["request_id"] == "req_batch_1.5"
    # Not atomic: what succeeded stays, whatever failed after it.
    assert client.get(f"/v1/projects/{created['id']}").status_code == 200


def test_sub_requests_are_project_traffic(client: TestClient) -> None:
    project = new_project(client)
    base = f"/projects/{project['id']}"
    response = batch(
        client,
        {"method": "PATCH", "path": f"{base}/config", "body": {"region": "us-west-2"}},
        {"method": "GET", "path": f"{base}/config"},
    )
    assert [r["status"] for r in response.json()["results"]] == [200, 200]
    assert response.json()["results"][1]["body"] == {"region": "us-west-2"}
    logs = client.get(f"/v1{base}/logs", params={"component": "api", "order": "asc"}).json()
    ids = [line["request_id"] for line in logs["logs"]]
    batch_id = response.headers["x-request-id"]
    assert ids == [f"{batch_id}.1", f"{batch_id}.2"]


def test_scopes_apply_per_operation(client: TestClient) -> None:
    project = new_project(client)
    read_only = bearer(None, "read")
    response = batch(
        client,
        {"method": "GET", "path": f"/projects/{project['id']}"},
        {"method": "PATCH", "path": f"/projects/{project['id']}/config", "body": {"region": "x"}},
        {"method": "GET", "path": f"/projects/{project['id']}/config"},
        headers=read_only,
    )
    assert [r["status"] for r in response.json()["results"]] == [200, 403, 200]
    assert response.json()["results"][1]["body"]["error"]["code"] == "forbidden"
    # Another organisation's batch can't reach the project either.
    other = batch(
        client, {"method": "GET", "path": f"/projects/{project['id']}/config"}, headers=bearer("o2")
    )
    assert other.json()["results"][0]["status"] == 404
    anonymous = batch(
        client,
        {"method": "GET", "path": f"/projects/{project['id']}/config"},
        headers={"Authorization": ""},
    )
    assert anonymous.status_code == 401


def test_limits_and_refusals(client: TestClient) -> None:
    project = new_project(client)
    too_many = batch(client, *([{"method": "GET", "path": "/projects"}] * 101))
    assert too_many.status_code == 400
    assert too_many.json()["error"]["details"][0]["field"] == "operations"
    assert batch(client).status_code == 400
    bad_method = batch(client, {"method": "TRACE", "path": "/projects"})
    assert bad_method.status_code == 400
    stream = batch(client, {"method": "GET", "path": f"/projects/{project['id']}/logs/stream"})
    assert stream.json()["results"][0]["status"] == 400
    hundred = batch(client, *([{"method": "GET", "path": f"/projects/{project['id']}"}] * 100))
    assert hundred.status_code == 200
    assert {r["status"] for r in hundred.json()["results"]} == {200}
