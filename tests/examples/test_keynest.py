"""KeyNest (seed 004): every documented request, replayed against ``examples/keynest``.

The documented bodies below are copied from the seed; each response must have the documented
status and the documented keys with the documented JSON types.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.examples.support import shape_problems

IDS = ("id", "organization", "project", "environment", "target_id")

USER = {
    "id": 1,
    "username": "newuser",
    "email": "user@example.com",
    "first_name": "John",
    "last_name": "Doe",
    "full_name": "John Doe",
}
REGISTER_BODY = {
    "username": "newuser",
    "email": "user@example.com",
    "password": "securepassword123",
    "confirm_password": "securepassword123",
    "first_name": "John",
    "last_name": "Doe",
}
REGISTERED = {
    "message": "User registered successfully",
    "token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
    "user": {**USER, "date_joined": "2025-08-30T10:30:00Z"},
    "organization": {"id": 1, "name": "John's Organization"},
}
LOGGED_IN = {"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "user": USER}
PROFILE = {
    **USER,
    "date_joined": "2025-08-30T10:30:00Z",
    "last_login": "2025-08-30T10:30:00Z",
    "is_active": True,
}
ORGANIZATION = {
    "id": 1,
    "name": "Acme Corp",
    "description": "Main company organization",
    "created_at": "2025-08-30T10:30:00Z",
    "updated_at": "2025-08-30T10:30:00Z",
    "member_count": 5,
    "project_count": 3,
    "user_role": "admin",
}
PROJECT = {
    "id": 1,
    "name": "Web Application",
    "description": "Main web application project",
    "organization": 1,
    "organization_name": "Acme Corp",
    "created_at": "2025-08-30T10:30:00Z",
    "updated_at": "2025-08-30T10:30:00Z",
    "created_by_name": "John Doe",
    "environment_count": 3,
}
ENVIRONMENT = {
    "id": 2,
    "name": "staging",
    "project": 1,
    "project_name": "Web Application",
    "environment_type": "staging",
    "description": "Staging environment for testing",
    "created_at": "2025-08-30T10:30:00Z",
    "updated_at": "2025-08-30T10:30:00Z",
    "created_by_name": "John Doe",
    "variable_count": 0,
}
VARIABLE = {
    "id": 2,
    "key": "API_KEY",
    "decrypted_value": "sk_live_abcd1234567890",
    "environment": 1,
    "environment_name": "production",
    "created_at": "2025-08-30T10:30:00Z",
    "updated_at": "2025-08-30T10:30:00Z",
    "created_by_name": "John Doe",
}
AUDIT_ENTRY = {
    "id": 1,
    "user_name": "John Doe",
    "user_email": "john@example.com",
    "action": "variable_created",
    "target_type": "variable",
    "target_id": 1,
    # The seed's example details ({"variable_key", "environment_name"}) are per action; ours
    # carry the request's method, path, status and redacted body fields instead.
    "details": {},
    "ip_address": "192.168.1.1",
    "timestamp": "2025-08-30T10:30:00Z",
}
IMPORTED = {
    "message": "Import completed successfully",
    "summary": {"imported": 5, "updated": 2, "failed": 0, "total_variables": 7},
    "failed_imports": None,
}
ERROR = {
    "error": "Error message",
    # "Additional error details or field-specific errors": a string or an object.
    "details": None,
    "code": "ERROR_CODE",
    "timestamp": "2025-08-30T10:30:00Z",
}


def page_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"count": 1, "next": None, "previous": None, "results": [item]}


def check(response: Any, status: int, documented: Any) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    problems = shape_problems(documented, body, IDS)
    assert not problems, problems
    return body


@pytest.fixture
def keynest(example_client: Callable[..., TestClient]) -> TestClient:
    return example_client("keynest")


def test_status_and_health_are_public(keynest: TestClient) -> None:
    index = check(
        keynest.get("/api/"),
        200,
        {"message": "Welcome to KeyNest API", "version": "1.0.0", "endpoints": {"projects": ""}},
    )
    assert index["endpoints"]["projects"] == "/api/projects/"
    assert index["endpoints"]["health"] == "/health/"
    health = check(
        keynest.get("/health/"),
        200,
        {"status": "healthy", "service": "KeyNest API", "version": "1.0.0"},
    )
    assert health["status"] == "healthy"


def test_documented_requests_replay(keynest: TestClient) -> None:
    registered = check(keynest.post("/api/auth/register/", json=REGISTER_BODY), 201, REGISTERED)
    login = {"email": "user@example.com", "password": "securepassword123"}
    token = check(keynest.post("/api/auth/login/", json=login), 200, LOGGED_IN)["token"]
    assert len(token) == 40
    assert int(token, 16) >= 0
    auth = {"Authorization": f"Token {token}"}
    check(keynest.get("/api/auth/profile/", headers=auth), 200, PROFILE)
    org_id = registered["organization"]["id"]

    orgs = check(keynest.get("/api/organizations/", headers=auth), 200, page_of(ORGANIZATION))
    assert orgs["count"] == 1
    check(keynest.get(f"/api/organizations/{org_id}/", headers=auth), 200, ORGANIZATION)
    new_org = {"name": "New Organization", "description": "Description of the new organization"}
    check(keynest.post("/api/organizations/", json=new_org, headers=auth), 201, ORGANIZATION)

    body = {"name": "Web Application", "description": "Main", "organization": org_id}
    project = check(keynest.post("/api/projects/", json=body, headers=auth), 201, PROJECT)
    assert project["organization_name"] == registered["organization"]["name"]
    assert project["created_by_name"] == "John Doe"
    listed = check(
        keynest.get(f"/api/projects/?organization={org_id}&search=web", headers=auth),
        200,
        page_of(PROJECT),
    )
    assert [p["id"] for p in listed["results"]] == [project["id"]]
    pid = project["id"]
    check(keynest.get(f"/api/projects/{pid}/", headers=auth), 200, PROJECT)
    patched = check(
        keynest.patch(
            f"/api/projects/{pid}/",
            json={"description": "Updated project description"},
            headers=auth,
        ),
        200,
        PROJECT,
    )
    assert patched["description"] == "Updated project description"

    env_body = {
        "name": "staging",
        "project": pid,
        "environment_type": "staging",
        "description": "Staging environment for testing",
    }
    env = check(keynest.post("/api/environments/", json=env_body, headers=auth), 201, ENVIRONMENT)
    check(
        keynest.get(f"/api/environments/?project={pid}&environment_type=staging", headers=auth),
        200,
        page_of(ENVIRONMENT),
    )
    check(
        keynest.get(f"/api/projects/{pid}/environments/", headers=auth), 200, page_of(ENVIRONMENT)
    )
    assert keynest.get(f"/api/projects/{pid}/", headers=auth).json()["environment_count"] == 1

    var_body = {"key": "API_KEY", "value": "sk_live_abcd1234567890", "environment": env["id"]}
    var = check(keynest.post("/api/variables/", json=var_body, headers=auth), 201, VARIABLE)
    assert var["decrypted_value"] == "sk_live_abcd1234567890"
    check(
        keynest.get(f"/api/environments/{env['id']}/variables/", headers=auth),
        200,
        page_of(VARIABLE),
    )
    updated = check(
        keynest.patch(
            f"/api/variables/{var['id']}/", json={"value": "new_secret_value"}, headers=auth
        ),
        200,
        VARIABLE,
    )
    assert updated["decrypted_value"] == "new_secret_value"

    exported = keynest.get(f"/api/environments/{env['id']}/export/", headers=auth)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/plain")
    assert "API_KEY=new_secret_value" in exported.text
    upload = {"file": (".env", b"DATABASE_URL=postgresql://user:pass@host/db\nAPI_KEY=x\n")}
    imported = check(
        keynest.post(f"/api/environments/{env['id']}/import/", files=upload, headers=auth),
        200,
        IMPORTED,
    )
    assert imported["summary"]["imported"] == 1
    assert imported["summary"]["updated"] == 1

    logs = check(
        keynest.get("/api/audit-logs/?action=variable_created", headers=auth),
        200,
        page_of(AUDIT_ENTRY),
    )
    assert logs["count"] == 1
    assert logs["results"][0]["target_id"] == var["id"]
    assert logs["results"][0]["user_email"] == "user@example.com"

    assert keynest.delete(f"/api/variables/{var['id']}/", headers=auth).status_code == 204
    assert keynest.delete(f"/api/projects/{pid}/", headers=auth).status_code == 204
    check(keynest.get(f"/api/projects/{pid}/", headers=auth), 404, ERROR)

    out = check(keynest.post("/api/auth/logout/", headers=auth), 200, {"message": "x"})
    assert out["message"] == "Successfully logged out"
    check(keynest.get("/api/auth/profile/", headers=auth), 401, ERROR)


def test_errors_are_flat_with_drf_field_lists(keynest: TestClient) -> None:
    registered = keynest.post("/api/auth/register/", json=REGISTER_BODY).json()
    auth = {"Authorization": f"Token {registered['token']}"}
    bad = check(keynest.post("/api/projects/", json={}, headers=auth), 400, ERROR)
    assert bad["details"] == {"name": ["This field is required."]}
    assert bad["code"] == "INVALID_REQUEST"
    assert bad["request_id"]
    missing = check(keynest.get("/api/projects/", headers={}), 401, ERROR)
    assert missing["code"] == "UNAUTHORIZED"
    # Bearer is not KeyNest's scheme; only `Token <40 hex>` authenticates.
    bearer = {"Authorization": f"Bearer {registered['token']}"}
    assert keynest.get("/api/projects/", headers=bearer).status_code == 401
    other = check(
        keynest.get("/api/projects/?organization=org_elsewhere", headers=auth), 404, ERROR
    )
    assert other["code"] == "NOT_FOUND"
