"""Audit rows for each kind of call, on SQLite and PostgreSQL, and for failed authentication."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

Rows = Callable[[TestClient], list[dict[str, Any]]]
Auth = Callable[[str], dict[str, str]]
PLUGINS = ("metrics", "idempotency", "audit", "fake_auth")


def test_each_kind_of_call_is_recorded(
    app_factory: Callable[..., TestClient], database_url: str, rows: Rows, auth: Auth
) -> None:
    client = app_factory(database_url=database_url, plugins=PLUGINS)
    admin = {**auth("admin-a"), "User-Agent": "audit-test/1.0"}
    created = client.post(
        "/v1/projects", json={"name": "Alpha", "config": {"region": "eu-west-1"}}, headers=admin
    )
    assert created.status_code == 201
    project_id = created.json()["id"]
    assert client.get(f"/v1/projects/{project_id}", headers=admin).status_code == 200
    assert client.get("/v1/projects", headers=admin).status_code == 200
    assert (
        client.patch(f"/v1/projects/{project_id}", json={"name": "Beta"}, headers=admin).status_code
        == 200
    )
    invalid = client.post("/v1/projects", json={"nope": 1}, headers=admin)
    assert invalid.status_code == 400
    assert client.delete(f"/v1/projects/{project_id}", headers=admin).status_code == 204
    assert client.delete(f"/v1/projects/{project_id}", headers=admin).status_code == 404
    anonymous = client.post("/v1/projects", json={"name": "Anon"})
    assert anonymous.status_code == 201

    found = rows(client)
    assert [(r["action"], r["status"]) for r in found] == [
        ("project.created", 201),
        ("project.updated", 200),
        ("project.created", 400),
        ("project.deleted", 204),
        ("project.deleted", 404),
        ("project.created", 201),
    ]
    create = found[0]
    assert create["actor_type"] == "session"
    assert create["user_id"] == "usr_admin_a"
    assert create["api_key_id"] is None
    assert create["organization_id"] == "org_a"
    assert create["ip_address"] == "testclient"
    assert create["user_agent"] == "audit-test/1.0"
    assert create["operation_id"] == "createProject"
    assert create["method"] == "POST"
    assert create["path"] == "/v1/projects"
    assert create["target_type"] == "project"
    assert create["target_id"] == project_id
    assert create["request_id"] == created.headers["x-request-id"]
    assert create["details"]["body"] == {"name": "Alpha", "config": {"region": "eu-west-1"}}
    assert create["timestamp"] is not None

    assert found[1]["target_id"] == project_id
    assert found[1]["details"]["body"] == {"name": "Beta"}
    assert found[2]["target_id"] is None
    assert found[2]["details"]["error"] == "invalid_request"
    assert found[3]["target_id"] == project_id
    assert found[4]["details"]["error"] == "not_found"
    assert found[5]["actor_type"] == "anonymous"
    assert found[5]["organization_id"] is None
    assert found[5]["user_id"] is None


def test_authentication_failures_are_recorded(
    scenario_client: Callable[..., TestClient], rows: Rows, auth: Auth
) -> None:
    client = scenario_client()
    assert client.get("/v1/things").status_code == 401
    unknown = client.get("/v1/things", headers={"Authorization": "Bearer tok-SECRET-unknown"})
    assert unknown.status_code == 401
    assert client.delete("/v1/api-keys/key_x", headers=auth("admin-b")).status_code == 204
    member = client.post("/v1/things", json={"name": "x"}, headers=auth("member-a"))
    assert member.status_code == 201
    assert client.delete("/v1/api-keys/key_9", headers=auth("member-a")).status_code == 204
    failed_login = client.post(
        "/v1/login", json={"email": "victim@example.com", "password": "wrong-SECRET-guess"}
    )
    assert failed_login.status_code == 401
    ok_login = client.post(
        "/v1/login", json={"email": "victim@example.com", "password": "hunter2-SECRET-password"}
    )
    assert ok_login.status_code == 200

    found = rows(client)
    failures = [r for r in found if r["status"] in (401, 403)]
    assert [(r["action"], r["operation_id"], r["status"]) for r in failures] == [
        ("auth.failed", "listThings", 401),
        ("auth.failed", "listThings", 401),
        ("auth.failed", "login", 401),
    ]
    assert failures[0]["details"] == {"attempted_action": "thing.listed", "error": "unauthorized"}
    assert failures[0]["actor_type"] == "anonymous"
    login_failure = failures[2]
    assert login_failure["details"]["attempted_action"] == "auth.login"
    assert login_failure["details"]["body_fields"] == ["email", "password"]
    assert login_failure["user_id"] == "usr_victim"
    assert login_failure["organization_id"] == "org_a"
    ok = [r for r in found if r["operation_id"] == "login" and r["status"] == 200]
    assert len(ok) == 1
    assert ok[0]["action"] == "auth.login"
    revoked = [r for r in found if r["operation_id"] == "revokeApiKey"]
    assert [(r["action"], r["target_type"], r["target_id"]) for r in revoked] == [
        ("api_key.revoked", "api_key", "key_x"),
        ("api_key.revoked", "api_key", "key_9"),
    ]
    assert revoked[1]["api_key_id"] == "key_member_a"
    assert revoked[1]["actor_type"] == "api_key"
    made = [r for r in found if r["operation_id"] == "createThing"]
    assert {r["action"] for r in made} == {"thing.made"}
    assert {r["target_id"] for r in made} == {"thing_1"}


def test_forbidden_by_scope_and_by_role(
    app_factory: Callable[..., TestClient], rows: Rows, auth: Auth
) -> None:
    client = app_factory(plugins=PLUGINS)
    by_scope = client.get("/v1/audit-logs", headers=auth("member-a"))
    assert by_scope.status_code == 403
    by_role = client.get("/v1/audit-logs", headers=auth("scoped-member-a"))
    assert by_role.status_code == 403
    assert client.get("/v1/audit-logs", headers=auth("admin-a")).status_code == 200
    found = rows(client)
    assert [(r["action"], r["api_key_id"], r["organization_id"]) for r in found] == [
        ("auth.forbidden", "key_member_a", "org_a"),
        ("auth.forbidden", "key_scoped_a", "org_a"),
    ]
    assert {r["details"]["attempted_action"] for r in found} == {"audit_log.listed"}
    assert {r["details"]["error"] for r in found} == {"forbidden"}


def test_opted_out_operation_is_not_recorded(
    scenario_client: Callable[..., TestClient], rows: Rows, auth: Auth
) -> None:
    client = scenario_client()
    assert client.patch("/v1/things/t1").status_code == 200
    assert client.post("/v1/things", json={}, headers=auth("admin-a")).status_code == 201
    assert [r["operation_id"] for r in rows(client)] == ["createThing"]
