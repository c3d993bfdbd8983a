"""No secret reaches any stored audit field: search every column of every row for them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from starlette.testclient import TestClient

from specway.plugins.audit.redact import REDACTED, redact

if TYPE_CHECKING:
    from tests.conftest import AuthIdentity

Rows = Callable[[TestClient], list[dict[str, Any]]]
Identity = Callable[..., "AuthIdentity"]


def test_no_secret_in_any_stored_field(
    scenario_client: Callable[..., TestClient],
    issuer: Callable[..., TestClient],
    auth_factory: Identity,
    rows: Rows,
) -> None:
    client = scenario_client()
    identity = auth_factory(issuer())
    admin = identity.headers | {"X-Api-Key": "hdr-SECRET-key", "Cookie": "sid=cookie-SECRET"}
    calls = [
        client.post("/v1/login", json={"email": "a@example.com", "password": "pw-SECRET-1"}),
        client.post(
            "/v1/login", json={"email": "a@example.com", "password": "hunter2-SECRET-password"}
        ),
        client.post("/v1/api-keys", json={"name": "ci"}, headers=admin),
        client.put(
            "/v1/variables/DB_URL", json={"value": "postgres://u:SECRET@db/x"}, headers=admin
        ),
        client.post(
            "/v1/webhooks",
            json={"url": "https://example.com/hook", "signing": {"secret": "whsec_SECRETINPUT"}},
            headers=admin,
        ),
        client.post(
            "/v1/things?token=qs-SECRET-token&page=2",
            json={
                "name": "visible-name",
                "metadata": {
                    "nested": {"api_token": "nested-SECRET-token", "Password": "caps-SECRET"},
                    "list": [{"client_secret": "list-SECRET"}, "Bearer inline-SECRET"],
                    "note": "sk_test_SECRETLOOKINGVALUE",
                    "session": "0123456789abcdef0123456789abcdef01234567",
                },
            },
            headers=admin,
        ),
        client.get("/v1/things", headers={"Authorization": "Bearer wrong-SECRET-token"}),
    ]
    assert [c.status_code for c in calls] == [401, 200, 201, 200, 201, 201, 401]

    found = rows(client)
    assert len(found) == len(calls)
    dump = orjson.dumps(found, default=str).decode()
    assert "SECRET" not in dump
    assert "0123456789abcdef0123456789abcdef01234567" not in dump
    assert identity.key not in dump
    assert identity.session_token not in dump
    assert {r["api_key_id"] for r in found if r["status"] in (200, 201)} == {None, identity.key_id}
    # Redaction keeps what is not secret, so the rows stay useful.
    thing = next(r for r in found if r["operation_id"] == "createThing")
    assert thing["details"]["body"]["name"] == "visible-name"
    assert thing["details"]["body"]["metadata"]["nested"]["api_token"] == REDACTED
    assert thing["details"]["query"] == {"token": REDACTED, "page": "2"}
    assert thing["path"] == "/v1/things"
    variable = next(r for r in found if r["operation_id"] == "setVariable")
    assert variable["details"] == {"body_fields": ["value"]}
    assert variable["target_id"] == "DB_URL"
    webhook = next(r for r in found if r["operation_id"] == "createWebhook")
    assert webhook["details"] == {"body_fields": ["signing", "url"]}
    api_key = next(r for r in found if r["operation_id"] == "createApiKey")
    assert api_key["target_id"] == "key_new"


def test_no_secret_from_the_real_auth_endpoints(
    app_factory: Callable[..., TestClient], rows: Rows
) -> None:
    """Passwords, session tokens and key secrets of the real auth endpoints stay out."""
    client = app_factory()
    email, password = "secrets@example.com", "correct-SECRET-horse-battery"
    registered = client.post("/v1/auth/register", json={"email": email, "password": password})
    assert registered.status_code == 201
    first_token = registered.json()["token"]
    wrong = client.post("/v1/auth/login", json={"email": email, "password": "wrong-SECRET-pw"})
    assert wrong.status_code == 401
    login = client.post("/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200
    token = login.json()["token"]
    minted = client.post(
        "/v1/api-keys",
        json={"name": "ci", "scopes": ["read", "write", "admin"]},
        headers={"Authorization": f"Token {token}"},
    )
    assert minted.status_code == 201
    key = minted.json()["key"]
    project = client.post(
        f"/v1/projects?api_key={key}",
        json={"name": "p"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert project.status_code == 201
    refused = client.get("/v1/projects", headers={"Authorization": f"Bearer {key}x"})
    assert refused.status_code == 401
    revoked = client.delete(
        f"/v1/api-keys/{minted.json()['id']}", headers={"Authorization": f"Token {token}"}
    )
    assert revoked.status_code == 204
    assert (
        client.post("/v1/auth/logout", headers={"Authorization": f"Token {token}"}).status_code
        == 200
    )

    found = rows(client)
    assert [r["operation_id"] for r in found] == [
        "registerUser",
        "loginUser",
        "loginUser",
        "createApiKey",
        "createProject",
        "listProjects",
        "revokeApiKey",
        "logoutUser",
    ]
    trail = client.get("/v1/audit-logs", headers={"Authorization": f"Bearer {first_token}"})
    assert trail.status_code == 200
    assert len(trail.json()["data"]) == len(found) - 1  # all but the anonymous 401
    for where in (orjson.dumps(found, default=str).decode(), trail.text):
        assert "SECRET" not in where
        for secret in (first_token, token, key):
            assert secret not in where
    project_row = found[4]
    assert project_row["details"]["query"] == {"api_key": REDACTED}
    assert project_row["api_key_id"] == minted.json()["id"]
    key_row = found[3]
    assert key_row["target_id"] == minted.json()["id"]
    assert key_row["details"]["body"] == {"name": "ci", "scopes": ["read", "write", "admin"]}


def test_redact_by_name_and_by_value() -> None:
    doc = {
        "name": "ok",
        "authorization": "x",
        "X-Webhook-Signature": "v1,abc",
        "items": [{"password_hash": "h", "label": "keep"}],
        "value": "plain",
        "variable_key": "API_KEY",
        "deep": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": "too deep"}}}}}}}}},
        "hex": "a" * 40,
        "count": 3,
    }
    out = redact(doc)
    assert out["name"] == "ok"
    assert out["authorization"] == REDACTED
    assert out["X-Webhook-Signature"] == REDACTED
    assert out["items"] == [{"password_hash": REDACTED, "label": "keep"}]
    assert out["value"] == REDACTED
    assert out["variable_key"] == "API_KEY"
    assert out["hex"] == REDACTED
    assert out["count"] == 3
    assert "too deep" not in orjson.dumps(out).decode()
