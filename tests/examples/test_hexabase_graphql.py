"""Hexabase.AI (seed 001, "GraphQL Queries"): ``POST /v1/graphql`` against the served example.

The seed's query, verbatim, reads a workspace's projects and their deployments; the answers are
checked against the same resources read over REST, and the statements the server ran are
counted (one per level of the query, whatever the number of projects).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from starlette.testclient import TestClient

from tests.conftest import AuthIdentity

# Seed 001, "GraphQL Queries", as written there.
SEED_QUERY = """query GetWorkspaceDetails($id: ID!) {
  workspace(id: $id) {
    name
    projects {
      name
      deployments {
        status
        replicas
        resources {
          cpu
          memory
        }
      }
    }
  }
}"""


def hexabase(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
    tenants: int = 1,
) -> tuple[TestClient, list[dict[str, str]]]:
    """The served example and an ``hks_live_`` key (scope ``read`` and ``write``) of each of
    ``tenants`` fresh organisations (registered through the reference API first)."""
    reference = app_factory()
    identities = [auth_factory(reference) for _ in range(tenants)]
    client = example_client("hexabase")
    keys = []
    for identity in identities:
        session = {"Authorization": f"Bearer {identity.session_token}"}
        body = {"name": "graphql", "scopes": ["read", "write"]}
        key = made(client.post("/v1/api-keys", json=body, headers=session))["key"]
        keys.append({"Authorization": f"Bearer {key}"})
    return client, keys


def graphql(client: TestClient, auth: dict[str, str], query: str, **variables: Any) -> Any:
    body: dict[str, Any] = {"query": query}
    if variables:
        body["variables"] = variables
    return client.post("/v1/graphql", json=body, headers=auth)


def made(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def deployed(client: TestClient, auth: dict[str, str], project: str, **body: Any) -> dict[str, Any]:
    """A deployment of ``project``, once the runner has finished it (REST's view of it)."""
    base = f"/v1/projects/{project}/deployments"
    deployment = made(client.post(base, json={"version": "v1.0.0", **body}, headers=auth))
    deadline = time.monotonic() + 10
    while deployment["status"] in ("pending", "in_progress") and time.monotonic() < deadline:
        time.sleep(0.05)
        read = client.get(f"{base}/{deployment['id']}", headers=auth)
        assert read.status_code == 200, read.text
        deployment = read.json()
    assert deployment["status"] in ("completed", "failed"), deployment
    return deployment


@contextmanager
def statements(client: TestClient) -> Iterator[list[str]]:
    """The SQL the app's engine runs inside the block."""
    engine = client.app.state.database.engine.sync_engine  # type: ignore[attr-defined]
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def reading(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith("SELECT") and f" {table}" in s]


def test_seed_graphql_query_reads_workspace_projects_and_deployments(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    client, [auth] = hexabase(example_client, app_factory, auth_factory)
    workspace = made(client.post("/v1/workspaces", json={"name": "production"}, headers=auth))
    sized = {
        "workspace_id": workspace["id"],
        "replicas": 3,
        "resources": {"cpu": "500m", "memory": "512Mi"},
    }
    app = made(client.post("/v1/projects", json={"name": "my-app", "config": sized}, headers=auth))
    plain = {"workspace_id": workspace["id"]}
    api = made(client.post("/v1/projects", json={"name": "api", "config": plain}, headers=auth))
    made(client.post("/v1/projects", json={"name": "elsewhere"}, headers=auth))
    first = deployed(client, auth, app["id"])
    second = deployed(client, auth, app["id"], config={"replicas": 5})
    other = deployed(client, auth, api["id"])

    with statements(client) as seen:
        response = graphql(client, auth, SEED_QUERY, id=workspace["id"])
    assert response.status_code == 200, response.text
    assert response.headers["X-RateLimit-Limit"]
    assert response.json() == {
        "data": {
            "workspace": {
                "name": "production",
                "projects": [
                    {
                        "name": "my-app",
                        "deployments": [
                            {
                                "status": second["status"],
                                "replicas": 5,
                                "resources": {"cpu": "500m", "memory": "512Mi"},
                            },
                            {
                                "status": first["status"],
                                "replicas": 3,
                                "resources": {"cpu": "500m", "memory": "512Mi"},
                            },
                        ],
                    },
                    {
                        "name": "api",
                        "deployments": [
                            {"status": other["status"], "replicas": 1, "resources": None}
                        ],
                    },
                ],
            }
        }
    }
    # One statement per level: the workspace, its projects, all their deployments.
    assert len(reading(seen, "deployments")) == 1, seen
    assert len(reading(seen, "projects")) == 1, seen
    assert len(reading(seen, "workspaces")) == 1, seen


def test_graphql_does_not_leak_another_organisations_workspace(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    client, [owner, stranger] = hexabase(example_client, app_factory, auth_factory, tenants=2)
    workspace = made(client.post("/v1/workspaces", json={"name": "secret"}, headers=owner))
    # Another organisation's project that names the owner's workspace is not the owner's.
    config = {"workspace_id": workspace["id"]}
    made(client.post("/v1/projects", json={"name": "intruder", "config": config}, headers=stranger))

    response = graphql(client, stranger, SEED_QUERY, id=workspace["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] == {"workspace": None}
    [error] = body["errors"]
    assert error["message"] == f"Workspace '{workspace['id']}' not found"
    assert error["path"] == ["workspace"]
    assert error["extensions"]["code"] == "RESOURCE_NOT_FOUND"
    assert error["extensions"]["request_id"] == response.headers["X-Request-ID"]

    mine = graphql(client, owner, SEED_QUERY, id=workspace["id"])
    assert mine.json() == {"data": {"workspace": {"name": "secret", "projects": []}}}


def test_graphql_limits_depth_and_size_but_allows_introspection(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    client, [auth] = hexabase(example_client, app_factory, auth_factory)
    from graphql import get_introspection_query

    introspection = graphql(client, auth, get_introspection_query(descriptions=True))
    assert introspection.status_code == 200, introspection.text
    types = {t["name"] for t in introspection.json()["data"]["__schema"]["types"]}
    assert {"Workspace", "Project", "Deployment", "Resources"} <= types

    deep = '{ __type(name: "Workspace") { fields { type { ' + "ofType { " * 13 + "name"
    deep += " }" * 13 + " } } } }"
    response = graphql(client, auth, deep)
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body
    assert any("nested 17 fields deep; at most 15" in e["message"] for e in body["errors"]), body
    assert all(
        e["extensions"]["request_id"] == response.headers["X-Request-ID"] for e in body["errors"]
    )

    wide = "{ " + " ".join(f"f{i}: __typename" for i in range(301)) + " }"
    response = graphql(client, auth, wide)
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["message"] == "The operation selects more than 300 fields (fragments expanded)."

    # Introspection chains (fields → type → fields …) are refused whatever their depth.
    chain = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    response = graphql(client, auth, chain)
    assert response.status_code == 400, response.text
    assert "Maximum introspection depth exceeded" in response.json()["errors"][0]["message"]


def test_graphql_request_errors_are_400_and_401(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    client, [auth] = hexabase(example_client, app_factory, auth_factory)
    unfinished = "query GetWorkspaceDetails($id: ID!) { workspace(id: $id"
    response = graphql(client, auth, unfinished)
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["message"].startswith("Syntax Error:"), error
    assert error["locations"] == [{"line": 1, "column": len(unfinished) + 1}]
    assert response.headers["Content-Type"].startswith("application/graphql-response+json")
    assert "data" not in response.json()

    response = graphql(client, auth, '{ workspace(id: "ws_1") { nope } }')
    assert response.status_code == 400, response.text
    assert "Cannot query field 'nope' on type 'Workspace'." in response.text

    mutation = graphql(client, auth, 'mutation { workspace(id: "ws_1") { name } }')
    assert mutation.status_code == 400, mutation.text

    missing_variable = graphql(client, auth, SEED_QUERY)
    assert missing_variable.status_code == 400, missing_variable.text
    assert "Variable '$id' has invalid value" in missing_variable.text

    not_graphql = client.post("/v1/graphql", json={"variables": {}}, headers=auth)
    assert not_graphql.status_code == 400, not_graphql.text
    assert not_graphql.json()["error"]["code"] == "INVALID_REQUEST"

    # Versioning by Accept header, as every operation.
    versioned = {**auth, "Accept": "application/vnd.hexabase.v1+json"}
    typename = client.post("/v1/graphql", json={"query": "{ __typename }"}, headers=versioned)
    assert typename.status_code == 200, typename.text
    assert typename.json() == {"data": {"__typename": "Query"}}

    anonymous = client.post("/v1/graphql", json={"query": SEED_QUERY})
    assert anonymous.status_code == 401, anonymous.text
    assert set(anonymous.json()["error"]) >= {"code", "message", "request_id"}
