"""example.com (seed 003): the documented requests against ``examples/examplecom``.

The key is minted, and a project created, through the reference API on the same database
(example.com documents key management and project creation only through its dashboard).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import AuthIdentity
from tests.examples.support import shape_problems

USER = {
    "id": "user_123",
    "name": "John Doe",
    "email": "john@example.com",
    "created_at": "2024-01-01T00:00:00Z",
}
PROJECT = {
    "id": "proj_123",
    "name": "My Project",
    "description": "Project description",
    "created_at": "2024-01-01T00:00:00Z",
}
PROJECTS = {"data": [PROJECT], "meta": {"current_page": 1, "total_pages": 5, "total_count": 100}}
ERROR = {
    "error": {
        "code": "invalid_request",
        "message": "A detailed error message",
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
def excom(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> tuple[TestClient, TestClient, dict[str, str]]:
    reference = app_factory()
    identity = auth_factory(reference)
    return example_client("examplecom"), reference, identity.headers


def test_documented_requests_replay(
    excom: tuple[TestClient, TestClient, dict[str, str]],
) -> None:
    client, reference, auth = excom
    body = {"name": "John Doe", "email": "john@example.com", "password": "secure_password"}
    created = check(client.post("/v1/users", json=body, headers=auth), 201, USER)
    assert created["name"] == "John Doe"
    assert created["email"] == "john@example.com"
    assert list(created) == ["id", "name", "email", "created_at"]
    got = check(client.get(f"/v1/users/{created['id']}", headers=auth), 200, USER)
    assert got == created
    missing = check(client.get("/v1/users/user_nope", headers=auth), 404, ERROR)
    assert missing["error"]["code"] == "not_found"
    taken = check(client.post("/v1/users", json=body, headers=auth), 409, ERROR)
    assert taken["error"]["code"] == "conflict"

    for i in range(3):
        made = reference.post(
            "/v1/projects",
            json={"name": f"My Project {i}", "description": "Project description"},
            headers=auth,
        )
        assert made.status_code == 201, made.text
    listed = check(client.get("/v1/projects", headers=auth), 200, PROJECTS)
    assert list(listed) == ["data", "meta"]
    assert listed["meta"] == {"current_page": 1, "total_pages": 1, "total_count": 3}
    paged = check(client.get("/v1/projects?page=2&per_page=2", headers=auth), 200, PROJECTS)
    assert paged["meta"] == {"current_page": 2, "total_pages": 2, "total_count": 3}
    assert len(paged["data"]) == 1
    active = check(client.get("/v1/projects?status=active", headers=auth), 200, PROJECTS)
    assert active["meta"]["total_count"] == 3
    archived = check(client.get("/v1/projects?status=archived", headers=auth), 200, PROJECTS)
    assert archived == {"data": [], "meta": {"current_page": 1, "total_pages": 0, "total_count": 0}}


def test_users_of_other_organizations_are_not_found(
    excom: tuple[TestClient, TestClient, dict[str, str]],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    client, reference, auth = excom
    other = auth_factory(reference)
    body = {"name": "Jane Roe", "email": "jane@example.com", "password": "secure_password"}
    created = check(client.post("/v1/users", json=body, headers=auth), 201, USER)
    check(client.get(f"/v1/users/{created['id']}", headers=other.headers), 404, ERROR)


def test_errors_are_nested_lowercase(
    excom: tuple[TestClient, TestClient, dict[str, str]],
) -> None:
    client, _, auth = excom
    bad = check(client.post("/v1/users", json={"name": "x"}, headers=auth), 400, ERROR)
    assert bad["error"]["code"] == "invalid_request"
    weak = {"name": "John Doe", "email": "not-an-email", "password": "secure_password"}
    assert check(client.post("/v1/users", json=weak, headers=auth), 400, ERROR)
    plain = {"error": {"code": "unauthorized", "message": "Authentication required"}}
    assert check(client.get("/v1/projects"), 401, plain)["error"]["code"] == "unauthorized"


def test_rate_limit_headers(excom: tuple[TestClient, TestClient, dict[str, str]]) -> None:
    client, _, auth = excom
    response = client.get("/v1/projects", headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["X-RateLimit-Limit"] == "100"
    assert int(response.headers["X-RateLimit-Remaining"]) < 100
    assert int(response.headers["X-RateLimit-Reset"]) > 0


def test_user_created_event_is_recorded(
    excom: tuple[TestClient, TestClient, dict[str, str]], tmp_path: Path
) -> None:
    client, _, auth = excom
    body = {"name": "John Doe", "email": "john@example.com", "password": "secure_password"}
    created = check(client.post("/v1/users", json=body, headers=auth), 201, USER)
    with closing(sqlite3.connect(tmp_path / "specway.db")) as db:
        rows = db.execute("SELECT data FROM webhook_events WHERE type = 'user.created'").fetchall()
    assert [json.loads(data) for (data,) in rows] == [
        {"id": created["id"], "name": "John Doe", "email": "john@example.com"}
    ]


def test_only_admins_add_users_and_the_user_joins_the_callers_organization(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
    member_factory: Callable[..., AuthIdentity],
) -> None:
    """``POST /users`` adds the new user to the caller's organisation (one write with its
    ``user.created`` event); a member's key is refused (403), and nothing is made."""
    reference = app_factory()
    admin = auth_factory(reference)
    member = member_factory(reference, admin, role="member")
    client = example_client("examplecom")
    body = {"name": "Jane Roe", "email": "jane@example.com", "password": "secure_password"}
    refused = client.post("/v1/users", json=body, headers=member.headers)
    assert refused.status_code == 403, refused.text
    made = client.post("/v1/users", json=body, headers=admin.headers)
    assert made.status_code == 201, made.text
    user_id = made.json()["id"]
    # A fellow member reads the new user back; the new user is a member, not an admin.
    assert client.get(f"/v1/users/{user_id}", headers=member.headers).status_code == 200
    listed = reference.get(
        f"/v1/organizations/{admin.organization_id}/members", headers=admin.headers
    )
    assert listed.status_code == 200, listed.text
    roles = {m["email"]: m["role"] for m in listed.json()["data"]}
    assert roles["jane@example.com"] == "member"
