"""Audit rows for each kind of call, on SQLite and PostgreSQL, and for failed authentication.

Every app runs the real auth plugin; the actor, key and organisation ids in the rows are those
of users and keys made over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.testclient import TestClient

if TYPE_CHECKING:
    from tests.conftest import AuthIdentity

Rows = Callable[[TestClient], list[dict[str, Any]]]
Identity = Callable[..., "AuthIdentity"]
PLUGINS = ("metrics", "auth", "idempotency", "audit")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_each_kind_of_call_is_recorded(
    app_factory: Callable[..., TestClient],
    auth_factory: Identity,
    database_url: str,
    rows: Rows,
) -> None:
    client = app_factory(database_url=database_url, plugins=PLUGINS)
    admin = auth_factory(client)
    session = {**admin.session_headers, "User-Agent": "audit-test/1.0"}
    created = client.post(
        "/v1/projects", json={"name": "Alpha", "config": {"region": "eu-west-1"}}, headers=session
    )
    assert created.status_code == 201
    project_id = created.json()["id"]
    assert client.get(f"/v1/projects/{project_id}", headers=session).status_code == 200
    assert client.get("/v1/projects", headers=session).status_code == 200
    assert (
        client.patch(
            f"/v1/projects/{project_id}", json={"name": "Beta"}, headers=session
        ).status_code
        == 200
    )
    invalid = client.post("/v1/projects", json={"nope": 1}, headers=session)
    assert invalid.status_code == 400
    assert client.delete(f"/v1/projects/{project_id}", headers=session).status_code == 204
    assert client.delete(f"/v1/projects/{project_id}", headers=session).status_code == 404
    anonymous = client.post("/v1/projects", json={"name": "Anon"})
    assert anonymous.status_code == 401
    keyed = client.post("/v1/projects", json={"name": "Keyed"}, headers=admin.headers)
    assert keyed.status_code == 201

    found = rows(client)
    assert [(r["action"], r["status"]) for r in found] == [
        ("auth.register", 201),
        ("api_key.created", 201),
        ("project.created", 201),
        ("project.updated", 200),
        ("project.created", 400),
        ("project.deleted", 204),
        ("project.deleted", 404),
        ("auth.failed", 401),
        ("project.created", 201),
    ]
    registered, minted = found[0], found[1]
    # Registration has no principal of its own: the handler names the new account.
    assert registered["actor_type"] == "anonymous"
    assert registered["user_id"] == admin.user_id
    assert registered["organization_id"] == admin.organization_id
    assert registered["details"] == {"body_fields": ["email", "password"]}
    assert minted["actor_type"] == "session"
    assert minted["user_id"] == admin.user_id
    assert minted["api_key_id"] is None
    assert minted["organization_id"] == admin.organization_id
    assert minted["target_type"] == "api_key"
    assert minted["target_id"] == admin.key_id

    create = found[2]
    assert create["actor_type"] == "session"
    assert create["user_id"] == admin.user_id
    assert create["api_key_id"] is None
    assert create["organization_id"] == admin.organization_id
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

    assert found[3]["target_id"] == project_id
    assert found[3]["details"]["body"] == {"name": "Beta"}
    assert found[4]["target_id"] is None
    assert found[4]["details"]["error"] == "invalid_request"
    assert found[5]["target_id"] == project_id
    assert found[6]["details"]["error"] == "not_found"
    refused = found[7]
    assert refused["actor_type"] == "anonymous"
    assert refused["organization_id"] is None
    assert refused["user_id"] is None
    assert refused["operation_id"] == "createProject"
    assert refused["details"] == {"attempted_action": "project.created", "error": "unauthorized"}
    by_key = found[8]
    assert by_key["actor_type"] == "api_key"
    assert by_key["api_key_id"] == admin.key_id
    assert by_key["user_id"] == admin.user_id
    assert by_key["organization_id"] == admin.organization_id
    assert by_key["target_id"] == keyed.json()["id"]


def test_failed_login_is_recorded_without_the_password(
    app_factory: Callable[..., TestClient], auth_factory: Identity, rows: Rows
) -> None:
    client = app_factory(plugins=PLUGINS)
    user = auth_factory(client)
    wrong = "wrong-SECRET-guess-1"
    failed = client.post("/v1/auth/login", json={"email": user.email, "password": wrong})
    assert failed.status_code == 401
    nobody = client.post(
        "/v1/auth/login", json={"email": "nobody@example.com", "password": "nobody-SECRET-2"}
    )
    assert nobody.status_code == 401
    assert nobody.json()["error"]["message"] == failed.json()["error"]["message"]
    ok = client.post("/v1/auth/login", json={"email": user.email, "password": user.password})
    assert ok.status_code == 200
    logout = client.post(
        "/v1/auth/logout", headers={"Authorization": f"Token {ok.json()['token']}"}
    )
    assert logout.status_code == 200

    found = rows(client)
    logins = [r for r in found if r["operation_id"] == "loginUser"]
    assert [(r["action"], r["status"]) for r in logins] == [
        ("auth.failed", 401),
        ("auth.failed", 401),
        ("auth.login", 200),
    ]
    on_account, unknown, success = logins
    # A wrong password for a real account names that account (for its organisation's admins).
    assert on_account["actor_type"] == "anonymous"
    assert on_account["user_id"] == user.user_id
    assert on_account["organization_id"] == user.organization_id
    assert on_account["request_id"] == failed.headers["x-request-id"]
    assert on_account["details"] == {
        "attempted_action": "auth.login",
        "body_fields": ["email", "password"],
        "error": "unauthorized",
    }
    assert unknown["user_id"] is None
    assert unknown["organization_id"] is None
    assert unknown["details"]["attempted_action"] == "auth.login"
    assert success["user_id"] == user.user_id
    assert success["organization_id"] == user.organization_id
    (logged_out,) = [r for r in found if r["operation_id"] == "logoutUser"]
    assert logged_out["action"] == "auth.logout"
    assert logged_out["actor_type"] == "session"
    assert logged_out["user_id"] == user.user_id
    # The failed attempt is in the account's organisation's trail, readable by its admin.
    trail = client.get(
        "/v1/audit-logs", params={"action": "auth.failed"}, headers=user.headers
    ).json()["data"]
    assert [(e["user_id"], e["operation_id"]) for e in trail] == [(user.user_id, "loginUser")]
    dump = str(found)
    for secret in (wrong, "nobody-SECRET-2", user.password, ok.json()["token"]):
        assert secret not in dump


def test_authentication_failures_are_recorded(
    scenario_client: Callable[..., TestClient],
    issuer: Callable[..., TestClient],
    auth_factory: Identity,
    member_factory: Identity,
    rows: Rows,
) -> None:
    client = scenario_client()
    minted = issuer()
    admin_a = auth_factory(minted)
    member_a = member_factory(minted, admin_a)
    reader_a = member_factory(minted, admin_a, scopes=("read",))
    admin_b = auth_factory(minted)

    assert client.get("/v1/things").status_code == 401
    unknown = client.get("/v1/things", headers=bearer("tok-SECRET-unknown"))
    assert unknown.status_code == 401
    assert client.delete("/v1/api-keys/key_x", headers=admin_b.headers).status_code == 204
    member = client.post("/v1/things", json={"name": "x"}, headers=member_a.headers)
    assert member.status_code == 201
    assert client.delete("/v1/api-keys/key_9", headers=member_a.headers).status_code == 204
    as_session = client.post(
        "/v1/things", json={"name": "y"}, headers=bearer(admin_a.session_token)
    )
    assert as_session.status_code == 201
    read_only = client.post("/v1/things", json={"name": "z"}, headers=reader_a.headers)
    assert read_only.status_code == 403
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
        ("auth.forbidden", "createThing", 403),
        ("auth.failed", "login", 401),
    ]
    assert failures[0]["details"] == {"attempted_action": "thing.listed", "error": "unauthorized"}
    assert failures[0]["actor_type"] == "anonymous"
    assert failures[1]["actor_type"] == "anonymous"
    # A valid key without the scope: the refusal names the key, its user and organisation.
    forbidden = failures[2]
    assert forbidden["actor_type"] == "api_key"
    assert forbidden["api_key_id"] == reader_a.key_id
    assert forbidden["user_id"] == reader_a.user_id
    assert forbidden["organization_id"] == admin_a.organization_id
    assert forbidden["details"]["attempted_action"] == "thing.made"
    assert forbidden["details"]["error"] == "forbidden"
    login_failure = failures[3]
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
    assert revoked[0]["actor_type"] == "api_key"
    assert revoked[0]["organization_id"] == admin_b.organization_id
    assert revoked[1]["api_key_id"] == member_a.key_id
    assert revoked[1]["user_id"] == member_a.user_id
    assert revoked[1]["actor_type"] == "api_key"
    made = [r for r in found if r["operation_id"] == "createThing" and r["status"] == 201]
    assert {r["action"] for r in made} == {"thing.made"}
    assert {r["target_id"] for r in made} == {"thing_1"}
    assert [(r["actor_type"], r["user_id"]) for r in made] == [
        ("api_key", member_a.user_id),
        ("session", admin_a.user_id),
    ]
    assert {r["organization_id"] for r in made} == {admin_a.organization_id}


def test_forbidden_by_scope_and_by_role(
    app_factory: Callable[..., TestClient],
    auth_factory: Identity,
    member_factory: Identity,
    rows: Rows,
) -> None:
    client = app_factory(plugins=PLUGINS)
    admin = auth_factory(client)
    member = member_factory(client, admin)
    # (A key outliving its creator's demotion used to be made here by removing and re-adding
    # an admin; removal now revokes the member's keys and sessions, and no operation changes a
    # role, so such a key can no longer exist.)
    org = admin.organization_id

    by_scope = client.get("/v1/audit-logs", headers=member.headers)
    assert by_scope.status_code == 403
    by_role = client.get("/v1/audit-logs", headers=bearer(member.session_token))
    assert by_role.status_code == 403
    assert client.get("/v1/audit-logs", headers=admin.headers).status_code == 200

    found = [r for r in rows(client) if r["status"] == 403]
    assert [(r["action"], r["actor_type"], r["api_key_id"], r["user_id"]) for r in found] == [
        ("auth.forbidden", "api_key", member.key_id, member.user_id),
        ("auth.forbidden", "session", None, member.user_id),
    ]
    assert {r["organization_id"] for r in found} == {org}
    assert {r["details"]["attempted_action"] for r in found} == {"audit_log.listed"}
    assert {r["details"]["error"] for r in found} == {"forbidden"}


def test_refusal_by_ip_allow_list_names_the_key(
    app_factory: Callable[..., TestClient], auth_factory: Identity, rows: Rows
) -> None:
    client = app_factory(plugins=PLUGINS)
    admin = auth_factory(client)
    fenced = client.post(
        "/v1/api-keys",
        json={"name": "office only", "scopes": ["read"], "allowed_ips": ["203.0.113.0/24"]},
        headers=admin.session_headers,
    )
    assert fenced.status_code == 201
    refused = client.get("/v1/projects", headers=bearer(fenced.json()["key"]))
    assert refused.status_code == 403
    assert refused.json()["error"]["details"] == {"reason": "ip_not_allowed"}

    (row,) = [r for r in rows(client) if r["status"] == 403]
    assert row["action"] == "auth.forbidden"
    assert row["actor_type"] == "api_key"
    assert row["api_key_id"] == fenced.json()["id"]
    assert row["user_id"] == admin.user_id
    assert row["organization_id"] == admin.organization_id
    assert row["details"] == {"attempted_action": "project.listed", "error": "forbidden"}
    assert fenced.json()["key"] not in str(row)


def test_opted_out_operation_is_not_recorded(
    scenario_client: Callable[..., TestClient],
    issuer: Callable[..., TestClient],
    auth_factory: Identity,
    rows: Rows,
) -> None:
    client = scenario_client()
    admin = auth_factory(issuer())
    assert client.patch("/v1/things/t1").status_code == 200
    assert client.post("/v1/things", json={}, headers=admin.headers).status_code == 201
    assert [r["operation_id"] for r in rows(client)] == ["createThing"]
