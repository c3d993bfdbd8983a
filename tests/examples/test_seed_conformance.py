"""Seed conformance (issue 30): each deviation found between a served example and its seed,
checked against the seed's own example.

Each test quotes the seed lines it checks; the seed files are ``/work/shared/seeds/00N_*.txt``
(VersionTwo 000, Hexabase 001, yourcompany 002, example.com 003, KeyNest 004).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import AuthIdentity
from tests.plugins.webhooks.webhooks_support import Receiver

Client = tuple[TestClient, dict[str, str]]


def served(
    name: str,
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> Client:
    """The example ``name`` served, with a key of a fresh tenant (minted on the same database
    through the reference API)."""
    identity = auth_factory(app_factory())
    return example_client(name), identity.headers


@pytest.fixture
def versiontwo(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> Client:
    return served("versiontwo", example_client, app_factory, auth_factory)


@pytest.fixture
def examplecom(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> Client:
    return served("examplecom", example_client, app_factory, auth_factory)


def assert_unix_reset(response: Any, window: int) -> None:
    """``X-RateLimit-Reset`` is the Unix time of the window's reset (seeds 000, 002, 003, 004:
    ``X-RateLimit-Reset: 1640995200``), not seconds from now."""
    reset = int(response.headers["X-RateLimit-Reset"])
    now = time.time()
    assert now - 1 <= reset <= now + window + 1, (reset, now)


# --- VersionTwo (seed 000) -------------------------------------------------------------------


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


# --- example.com (seed 003) ------------------------------------------------------------------


def test_examplecom_reset_is_unix_time(examplecom: Client) -> None:
    # Seed 003: "X-RateLimit-Reset: 1640995200".
    client, auth = examplecom
    assert_unix_reset(client.get("/v1/projects", headers=auth), 60)


def test_examplecom_validation_details_is_one_object(examplecom: Client) -> None:
    # Seed 003: {"error": {"code": "invalid_request", "message": "A detailed error message",
    #            "details": {"field": "Additional error context"}}}
    client, auth = examplecom
    response = client.post("/v1/users", json={"name": "John Doe"}, headers=auth)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert isinstance(error["details"], dict)
    assert isinstance(error["details"]["field"], str)


# --- Hexabase (001) --------------------------------------------------------------------------


def test_hexabase_validation_details_is_one_object(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    # Seed 001 shows `details` as one object ({"resource_type", "resource_id"}); a validation
    # error's details follow it: {"field", "reason"}.
    client, _ = served("hexabase", example_client, app_factory, auth_factory)
    identity = auth_factory(app_factory())
    session = {"Authorization": f"Bearer {identity.session_token}"}
    made = client.post("/v1/api-keys", json={"name": "k", "scopes": ["write"]}, headers=session)
    assert made.status_code == 201, made.text
    auth = {"Authorization": f"Bearer {made.json()['key']}"}
    response = client.post("/v1/projects", json={}, headers=auth)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("INVALID_REQUEST", "Invalid request parameters")
    assert error["details"] == {"field": "name", "reason": "required"}


# --- yourcompany (002) -----------------------------------------------------------------------


def test_yourcompany_validation_error_reads_as_documented(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    # Seed 002: {"status": "error", "error": {"code": "INVALID_REQUEST", "message":
    #   "Invalid parameter: name is required",
    #   "details": {"field": "name", "reason": "required_field_missing"}}}
    client, auth = served("yourcompany", example_client, app_factory, auth_factory)
    response = client.post("/v1/resources", json={"type": "processor"}, headers=auth)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == "error"
    error = body["error"]
    assert error["code"] == "INVALID_REQUEST"
    assert error["message"] == "Invalid parameter: name is required"
    assert error["details"] == {"field": "name", "reason": "required_field_missing"}


# --- KeyNest (004) ---------------------------------------------------------------------------


def test_keynest_validation_error_reads_as_documented(
    example_client: Callable[..., TestClient],
) -> None:
    # Seed 004: {"error": "Validation failed",
    #            "details": {"name": ["This field is required."], ...}}
    client = example_client("keynest")
    response = client.post("/api/auth/register/", json={"email": "a@example.com"})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "Validation failed"
    assert body["details"]["password"] == ["This field is required."]


def test_yourcompany_retry_after_is_never_later_than_the_reset(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    # Seed 002: 100 requests per hour; a 429 carries Retry-After, and X-RateLimit-Reset is the
    # Unix time of the reset. A client that waits either one must be admitted.
    client, auth = served("yourcompany", example_client, app_factory, auth_factory)
    for i in range(100):
        response = client.get("/v1/resources?per_page=1", headers=auth)
        assert response.status_code == 200, (i, response.text)
    limited = client.get("/v1/resources", headers=auth)
    assert limited.status_code == 429, limited.text
    retry = int(limited.headers["Retry-After"])
    reset = int(limited.headers["X-RateLimit-Reset"])
    # Seed 002: {"status": "error", "error": {"code": "RATE_LIMIT_EXCEEDED",
    #   "message": "Rate limit exceeded. Try again in 3600 seconds.", "retry_after": 3600}}
    error = limited.json()["error"]
    assert error["code"] == "RATE_LIMIT_EXCEEDED"
    assert error["message"] == f"Rate limit exceeded. Try again in {retry} seconds."
    assert error["retry_after"] == retry
    assert time.time() + retry <= reset + 1, (retry, reset - time.time())


KEYNEST_USER = {
    "username": "newuser",
    "email": "user@example.com",
    "password": "securepassword123",
    "confirm_password": "securepassword123",
    "first_name": "John",
    "last_name": "Doe",
}


def keynest_token(client: TestClient, **changes: str) -> dict[str, str]:
    registered = client.post("/api/auth/register/", json={**KEYNEST_USER, **changes})
    assert registered.status_code == 201, registered.text
    return {"Authorization": f"Token {registered.json()['token']}"}


def test_keynest_is_rate_limited_as_documented(example_client: Callable[..., TestClient]) -> None:
    # Seed 004: "Authenticated Users: 1000 requests per hour; Unauthenticated: 100 requests per
    # hour; Burst Limit: 50 requests per minute", headers X-RateLimit-Limit/-Remaining/-Reset
    # (Unix: 1642248000) and the 429 {"error": "Rate limit exceeded",
    # "details": "Too many requests. Try again in 3600 seconds."}.
    client = example_client("keynest")
    auth = keynest_token(client)
    first = client.get("/api/projects/", headers=auth)
    assert first.status_code == 200, first.text
    assert_unix_reset(first, 3600)
    # "X-RateLimit-Limit: 1000", "X-RateLimit-Remaining: 999"
    limits = (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"])
    assert limits == ("1000", "999")
    assert first.headers["RateLimit-Policy"] == '"hourly";q=1000;w=3600, "burst";q=50;w=60'
    for _ in range(49):
        assert client.get("/api/projects/", headers=auth).status_code == 200
    limited = client.get("/api/projects/", headers=auth)
    assert limited.status_code == 429, limited.text
    retry = int(limited.headers["Retry-After"])
    body = limited.json()
    assert (body["error"], body["code"]) == ("Rate limit exceeded", "RATE_LIMITED")
    assert body["details"] == f"Too many requests. Try again in {retry} seconds."
    assert limited.headers["X-RateLimit-Limit"] == "50"
    # Unauthenticated callers: 100 per hour per IP, 50 per minute.
    public = client.get("/api/")
    assert public.headers["RateLimit-Policy"] == '"anonymous";q=100;w=3600, "burst";q=50;w=60'


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    found.start()
    yield found
    found.stop()


def test_hexabase_webhook_payload_carries_its_signature(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
    receiver: Receiver,
) -> None:
    # Seed 001: {"event": "deployment.created", "timestamp": "...", "data": {...},
    #            "signature": "sha256=..."}
    reference = app_factory()
    identity = auth_factory(reference)
    client = example_client("hexabase")
    endpoint = reference.post(
        "/v1/webhooks", json={"url": receiver.url, "events": ["*"]}, headers=identity.headers
    )
    assert endpoint.status_code == 201, endpoint.text
    secret = endpoint.json()["secret"].encode()
    session = {"Authorization": f"Bearer {identity.session_token}"}
    made = client.post("/v1/api-keys", json={"name": "k", "scopes": ["write"]}, headers=session)
    assert made.status_code == 201, made.text
    auth = {"Authorization": f"Bearer {made.json()['key']}"}
    created = client.post("/v1/projects", json={"name": "Signed"}, headers=auth)
    assert created.status_code == 201, created.text
    delivery = receiver.wait_for(1)[0]
    payload = json.loads(delivery.body)
    assert list(payload)[-1] == "signature"
    assert payload["event"] == "project.created"
    signature = payload["signature"]
    member = b',"signature":' + json.dumps(signature).encode()
    assert delivery.body.endswith(member + b"}")
    signed = delivery.body[: -len(member) - 1] + b"}"
    assert signature == "sha256=" + hmac.new(secret, signed, hashlib.sha256).hexdigest()
    # The header still signs the body as sent.
    expected = hmac.new(secret, delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["x-signature"] == f"sha256={expected}"


def test_examplecom_user_ids_are_user_prefixed(examplecom: Client) -> None:
    # Seed 003 (and the example's own spec): {"id": "user_123", "name": "John Doe", ...}.
    client, auth = examplecom
    body = {"name": "John Doe", "email": "john@example.com", "password": "secure_password"}
    created = client.post("/v1/users", json=body, headers=auth)
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    assert user_id.startswith("user_"), user_id
    assert created.headers["location"].endswith(f"/v1/users/{user_id}")
    got = client.get(f"/v1/users/{user_id}", headers=auth)
    assert (got.status_code, got.json()["id"]) == (200, user_id)
    stored = "usr_" + user_id.removeprefix("user_")
    unknown = client.get(f"/v1/users/{stored}", headers=auth)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["details"]["resource_id"] == stored


def test_keynest_projects_in_a_second_organization(
    example_client: Callable[..., TestClient],
) -> None:
    # Seed 004: POST /api/organizations/ {"name": "Acme Corp", ...} makes the caller its admin;
    # POST /api/projects/ {"name": "Web Application", ..., "organization": 1} and
    # GET /api/projects/?organization=1 then work in it.
    client = example_client("keynest")
    auth = keynest_token(client)
    org = client.post(
        "/api/organizations/",
        json={"name": "Acme Corp", "description": "Main company organization"},
        headers=auth,
    )
    assert org.status_code == 201, org.text
    org_id = org.json()["id"]
    body = {
        "name": "Web Application",
        "description": "Main web application project",
        "organization": org_id,
    }
    made = client.post("/api/projects/", json=body, headers=auth)
    assert made.status_code == 201, made.text
    project = made.json()
    assert (project["organization"], project["organization_name"]) == (org_id, "Acme Corp")
    listed = client.get(f"/api/projects/?organization={org_id}", headers=auth)
    assert listed.status_code == 200, listed.text
    assert [p["id"] for p in listed.json()["results"]] == [project["id"]]
    got = client.get(f"/api/projects/{project['id']}/", headers=auth)
    assert got.status_code == 200, got.text
    # Another user sees neither the organisation's projects nor the project.
    other = keynest_token(client, username="other", email="other@example.com")
    assert client.get(f"/api/projects/?organization={org_id}", headers=other).status_code == 404
    assert client.get(f"/api/projects/{project['id']}/", headers=other).status_code == 404
    assert client.delete(f"/api/projects/{project['id']}/", headers=other).status_code == 404
    assert client.delete(f"/api/projects/{project['id']}/", headers=auth).status_code == 204


def keynest_variable(client: TestClient, auth: dict[str, str]) -> tuple[str, str, str]:
    """(project, environment, variable) ids, made as the seed's examples make them."""
    body = {"name": "Web Application", "description": "Main web application project"}
    project = client.post("/api/projects/", json=body, headers=auth)
    assert project.status_code == 201, project.text
    env_body = {"name": "production", "project": project.json()["id"]}
    env = client.post("/api/environments/", json=env_body, headers=auth)
    assert env.status_code == 201, env.text
    var_body = {
        "key": "API_KEY",
        "value": "sk_live_abcd1234567890",
        "environment": env.json()["id"],
    }
    var = client.post("/api/variables/", json=var_body, headers=auth)
    assert var.status_code == 201, var.text
    return project.json()["id"], env.json()["id"], var.json()["id"]


def test_keynest_audit_names_actions_and_target_types_as_documented(
    example_client: Callable[..., TestClient],
) -> None:
    # Seed 004: {"action": "variable_created", "target_type": "variable", ...}; filters
    # `action` and `target_type` ("Filter by resource type").
    client = example_client("keynest")
    auth = keynest_token(client)
    project_id, _, variable_id = keynest_variable(client, auth)
    variables = client.get("/api/audit-logs/?target_type=variable", headers=auth)
    assert variables.status_code == 200, variables.text
    found = variables.json()["results"]
    assert [(e["action"], e["target_type"], e["target_id"]) for e in found] == [
        ("variable_created", "variable", variable_id)
    ]
    projects = client.get("/api/audit-logs/?target_type=project", headers=auth).json()["results"]
    assert [(e["action"], e["target_id"]) for e in projects] == [("project_created", project_id)]
    every = client.get("/api/audit-logs/", headers=auth).json()["results"]
    assert all("." not in e["action"] for e in every), [e["action"] for e in every]


def test_hexabase_audits_reads_too(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    # Seed 001: "Audit Logging: All API calls are logged with timestamp, API key, IP address,
    # request details, and response status."
    client, _ = served("hexabase", example_client, app_factory, auth_factory)
    identity = auth_factory(app_factory())
    session = {"Authorization": f"Bearer {identity.session_token}"}
    scopes = ["read", "admin"]
    made = client.post("/v1/api-keys", json={"name": "k", "scopes": scopes}, headers=session)
    assert made.status_code == 201, made.text
    auth = {"Authorization": f"Bearer {made.json()['key']}"}
    assert client.get("/v1/workspaces", headers=auth).status_code == 200
    entries = client.get("/v1/audit-logs", headers=auth).json()["data"]
    read = [e for e in entries if e["method"] == "GET" and e["path"] == "/v1/workspaces"]
    assert len(read) == 1, entries
    assert (read[0]["status"], read[0]["actor_type"]) == (200, "api_key")
    assert read[0]["api_key_id"]
    assert read[0]["ip_address"]


def test_keynest_serves_the_variable_webhooks(
    example_client: Callable[..., TestClient], receiver: Receiver
) -> None:
    # Seed 004 ("Webhooks (Coming Soon)"): {"url": ..., "events": ["variable.created",
    # "variable.updated", "variable.deleted"], "secret": ...} and the payload
    # {"event": "variable.created", "timestamp": ..., "data": {"variable": {"id", "key",
    # "environment_id", "created_by"}}}.
    client = example_client("keynest")
    auth = keynest_token(client)
    events = ["variable.created", "variable.updated", "variable.deleted"]
    hook = client.post("/api/webhooks/", json={"url": receiver.url, "events": events}, headers=auth)
    assert hook.status_code == 201, hook.text
    assert set(hook.json()) >= {"id", "url", "events", "secret"}
    assert hook.json()["events"] == events
    _, environment_id, variable_id = keynest_variable(client, auth)
    delivery = receiver.wait_for(1)[0]
    payload = json.loads(delivery.body)
    assert payload["event"] == "variable.created"
    assert isinstance(payload["timestamp"], str)
    variable = payload["data"]["variable"]
    assert (variable["id"], variable["key"], variable["environment_id"]) == (
        variable_id,
        "API_KEY",
        environment_id,
    )
    assert "value" not in variable
    assert "sk_live_abcd1234567890" not in delivery.body.decode()
    secret = hook.json()["secret"].encode()
    signature = hmac.new(secret, delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["x-signature"] == f"sha256={signature}"


def test_keynest_conflicts_name_the_field_with_a_message(
    example_client: Callable[..., TestClient],
) -> None:
    # Seed 004: "details": "Additional error details or field-specific errors", field errors
    # as {"<field>": ["<message>"]}; 409 "Resource already exists".
    client = example_client("keynest")
    auth = keynest_token(client)
    taken = client.post("/api/auth/register/", json={**KEYNEST_USER, "username": "again"})
    assert taken.status_code == 409, taken.text
    body = taken.json()
    assert body["code"] == "CONFLICT"
    assert body["details"] == {"email": [body["error"]]}
    assert body["error"]
    _, environment_id, _ = keynest_variable(client, auth)
    again = {"key": "API_KEY", "value": "x", "environment": environment_id}
    duplicate = client.post("/api/variables/", json=again, headers=auth)
    assert duplicate.status_code == 409, duplicate.text
    body = duplicate.json()
    assert body["details"] == {"key": [body["error"]]}
    assert "API_KEY" in body["error"]


def test_keynest_creator_names_and_export_header(
    example_client: Callable[..., TestClient],
) -> None:
    # Seed 004: environments and variables show "created_by_name": "John Doe"; the export
    # reads "# Generated by KeyNest - Environment: production", "# Project: Web Application",
    # "# Organization: Acme Corp", "# Generated on: 2025-08-30 10:30:00 UTC".
    client = example_client("keynest")
    registered = client.post("/api/auth/register/", json=KEYNEST_USER)
    auth = {"Authorization": f"Token {registered.json()['token']}"}
    organization = registered.json()["organization"]["name"]  # "John's Organization"
    project = client.post("/api/projects/", json={"name": "Web Application"}, headers=auth).json()
    made = client.post(
        "/api/environments/", json={"name": "production", "project": project["id"]}, headers=auth
    )
    assert made.status_code == 201, made.text
    env = made.json()
    assert env["created_by_name"] == "John Doe"
    var_body = {"key": "API_KEY", "value": "sk_live_abcd1234567890", "environment": env["id"]}
    var = client.post("/api/variables/", json=var_body, headers=auth)
    assert var.json()["created_by_name"] == "John Doe"
    upload = {"file": (".env", b"DATABASE_URL=postgresql://user:pass@host/db\n")}
    imported = client.post(f"/api/environments/{env['id']}/import/", files=upload, headers=auth)
    assert imported.status_code == 200, imported.text
    listed = client.get(f"/api/environments/{env['id']}/variables/", headers=auth).json()
    assert {v["key"]: v["created_by_name"] for v in listed["results"]} == {
        "API_KEY": "John Doe",
        "DATABASE_URL": "John Doe",
    }
    envs = client.get(f"/api/projects/{project['id']}/environments/", headers=auth).json()
    assert envs["results"][0]["created_by_name"] == "John Doe"
    exported = client.get(f"/api/environments/{env['id']}/export/", headers=auth)
    lines = exported.text.splitlines()
    assert lines[:3] == [
        "# Generated by KeyNest - Environment: production",
        "# Project: Web Application",
        f"# Organization: {organization}",
    ]
    assert lines[3].startswith("# Generated on: ")
    assert lines[3].endswith(" UTC")


def hexabase_key(
    client: TestClient, app_factory: Callable[..., TestClient], auth_factory: Callable[..., Any]
) -> dict[str, str]:
    identity = auth_factory(app_factory())
    session = {"Authorization": f"Bearer {identity.session_token}"}
    scopes = ["read", "write", "delete", "admin"]
    made = client.post("/v1/api-keys", json={"name": "k", "scopes": scopes}, headers=session)
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['key']}"}


def test_hexabase_pagination_links_are_absolute_as_documented(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    # Seed 001: {"data": [...], "pagination": {"page": 1, "per_page": 20, "total": 100,
    # "pages": 5}, "links": {"first": "https://api.hexabase.ai/v1/workspaces?page=1",
    # "last": "https://api.hexabase.ai/v1/workspaces?page=5",
    # "next": "https://api.hexabase.ai/v1/workspaces?page=2"}}
    client = example_client("hexabase")
    auth = hexabase_key(client, app_factory, auth_factory)
    for name in ("one", "two", "three"):
        assert client.post("/v1/workspaces", json={"name": name}, headers=auth).status_code == 201
    page = client.get("/v1/workspaces", headers=auth).json()
    assert page["pagination"] == {"page": 1, "per_page": 20, "total": 3, "pages": 1}
    assert page["links"]["first"] == "http://testserver/v1/workspaces?page=1"
    assert page["links"]["last"] == "http://testserver/v1/workspaces?page=1"
    small = client.get("/v1/workspaces?per_page=1", headers=auth)
    links = small.json()["links"]
    assert links["next"] == "http://testserver/v1/workspaces?per_page=1&page=2"
    assert links["last"] == "http://testserver/v1/workspaces?per_page=1&page=3"
    assert links["prev"] is None
    assert (
        '<http://testserver/v1/workspaces?per_page=1&page=2>; rel="next"' in (small.headers["link"])
    )


def test_hexabase_deployments_list_in_the_list_envelope(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    # Seed 001's list format ({"data", "pagination", "links"}) for every list.
    client = example_client("hexabase")
    auth = hexabase_key(client, app_factory, auth_factory)
    project = client.post("/v1/projects", json={"name": "Deployed"}, headers=auth).json()
    deployed = client.post(
        f"/v1/projects/{project['id']}/deployments", json={"version": "v1.0.0"}, headers=auth
    )
    assert deployed.status_code == 201, deployed.text
    listed = client.get(f"/v1/projects/{project['id']}/deployments", headers=auth)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert list(body) == ["data", "pagination", "links"]
    assert [d["id"] for d in body["data"]] == [deployed.json()["id"]]
    assert body["links"]["first"].endswith(f"/v1/projects/{project['id']}/deployments?page=1")


def test_keynest_next_and_previous_are_absolute_urls(
    example_client: Callable[..., TestClient],
) -> None:
    # Seed 004: {"count": 25, "next": "http://localhost:8000/api/projects/?page=2",
    # "previous": null, "results": [...]}
    client = example_client("keynest")
    auth = keynest_token(client)
    for name in ("one", "two"):
        assert client.post("/api/projects/", json={"name": name}, headers=auth).status_code == 201
    first = client.get("/api/projects/?per_page=1", headers=auth).json()
    assert first["next"] == "http://testserver/api/projects/?per_page=1&page=2"
    assert first["previous"] is None
    second = client.get("/api/projects/?per_page=1&page=2", headers=auth).json()
    assert second["previous"] == "http://testserver/api/projects/?per_page=1&page=1"
    assert second["next"] is None


def test_keynest_environments_and_variables_in_a_second_organization(
    example_client: Callable[..., TestClient],
) -> None:
    # Seed 004: the documented environment and variable requests, in a project of an
    # organisation the user created ("Acme Corp"), not the one their token was made in.
    client = example_client("keynest")
    auth = keynest_token(client)
    org = client.post("/api/organizations/", json={"name": "Acme Corp"}, headers=auth).json()
    body = {"name": "Web Application", "organization": org["id"]}
    project = client.post("/api/projects/", json=body, headers=auth).json()
    env_body = {"name": "staging", "project": project["id"], "environment_type": "staging"}
    env = client.post("/api/environments/", json=env_body, headers=auth)
    assert env.status_code == 201, env.text
    env_id = env.json()["id"]
    assert env.json()["created_by_name"] == "John Doe"
    listed = client.get(f"/api/environments/?project={project['id']}", headers=auth).json()
    assert [e["id"] for e in listed["results"]] == [env_id]
    per_project = client.get(f"/api/projects/{project['id']}/environments/", headers=auth)
    assert [e["id"] for e in per_project.json()["results"]] == [env_id]
    var_body = {"key": "API_KEY", "value": "sk_live_abcd1234567890", "environment": env_id}
    var = client.post("/api/variables/", json=var_body, headers=auth)
    assert var.status_code == 201, var.text
    assert var.json()["decrypted_value"] == "sk_live_abcd1234567890"
    var_id = var.json()["id"]
    changed = client.patch(f"/api/variables/{var_id}/", json={"value": "new"}, headers=auth)
    assert (changed.status_code, changed.json()["decrypted_value"]) == (200, "new")
    exported = client.get(f"/api/environments/{env_id}/export/", headers=auth)
    assert exported.text.splitlines()[2] == "# Organization: Acme Corp"
    assert "API_KEY=new" in exported.text
    other = keynest_token(client, username="other", email="other@example.com")
    assert client.get(f"/api/environments/{env_id}/variables/", headers=other).status_code == 404
    assert client.delete(f"/api/variables/{var_id}/", headers=other).status_code == 404
    assert client.delete(f"/api/variables/{var_id}/", headers=auth).status_code == 204


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


def test_hexabase_ip_allow_list_for_the_whole_organization(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    # Seed 001: client.security.update_ip_whitelist(["203.0.113.0/24", "198.51.100.0/24"]),
    # which then holds for every key of the account.
    client = example_client("hexabase")
    auth = hexabase_key(client, app_factory, auth_factory)
    office = TestClient(client.app, raise_server_exceptions=False, client=("203.0.113.7", 5000))
    elsewhere = TestClient(client.app, raise_server_exceptions=False, client=("192.0.2.9", 5000))
    assert elsewhere.get("/v1/workspaces", headers=auth).status_code == 200
    documented = {"allowed_ips": ["203.0.113.0/24", "198.51.100.0/24"]}
    changed = office.put("/v1/security/ip-allowlist", json=documented, headers=auth)
    assert changed.status_code == 200, changed.text
    assert sorted(changed.json()["allowed_ips"]) == sorted(documented["allowed_ips"])
    assert office.get("/v1/workspaces", headers=auth).status_code == 200
    refused = elsewhere.get("/v1/workspaces", headers=auth)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "FORBIDDEN"
    assert refused.json()["error"]["details"]["reason"] == "ip_not_allowed"


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
