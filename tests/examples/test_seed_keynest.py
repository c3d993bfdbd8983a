"""KeyNest (seed 004): each deviation issue 30 found, checked against the seed's own example.

Each test quotes the seed lines it checks (``/work/shared/seeds/004_*.txt``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable

from starlette.testclient import TestClient

from tests.examples.seed_support import (
    KEYNEST_USER,
    assert_unix_reset,
    keynest_token,
    keynest_variable,
)
from tests.plugins.webhooks.webhooks_support import Receiver


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


def test_keynest_login_returns_the_users_token_until_it_is_revoked(
    example_client: Callable[..., TestClient],
) -> None:
    # Seed 004: register and login both answer "token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    # ("Token Format: 40-character hexadecimal string"); "Each user receives a unique token upon
    # successful login"; "Token Lifetime: Indefinite (until manually revoked)".
    client = example_client("keynest")
    registered = client.post("/api/auth/register/", json=KEYNEST_USER)
    assert registered.status_code == 201, registered.text
    token = registered.json()["token"]
    assert len(token) == 40
    assert int(token, 16) >= 0
    login = {"email": KEYNEST_USER["email"], "password": KEYNEST_USER["password"]}
    for _ in range(2):
        again = client.post("/api/auth/login/", json=login)
        assert again.status_code == 200, again.text
        assert again.json()["token"] == token
    auth = {"Authorization": f"Token {token}"}
    assert client.get("/api/auth/profile/", headers=auth).status_code == 200
    # Another user gets a token of their own.
    other = client.post(
        "/api/auth/register/",
        json={**KEYNEST_USER, "email": "other@example.com", "username": "other"},
    )
    assert other.status_code == 201, other.text
    assert other.json()["token"] != token
    # Logout revokes it: the old token is refused, the next login hands out a new one, which the
    # login after it hands out again.
    assert client.post("/api/auth/logout/", headers=auth).status_code in (200, 204)
    assert client.get("/api/auth/profile/", headers=auth).status_code == 401
    fresh = client.post("/api/auth/login/", json=login).json()["token"]
    assert fresh != token
    assert client.post("/api/auth/login/", json=login).json()["token"] == fresh
    assert (
        client.get("/api/auth/profile/", headers={"Authorization": f"Token {fresh}"}).status_code
        == 200
    )
