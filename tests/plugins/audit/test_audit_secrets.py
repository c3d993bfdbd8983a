"""No secret reaches any stored audit field: search every column of every row for them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.testclient import TestClient

from plugins.audit.redact import REDACTED, redact

Rows = Callable[[TestClient], list[dict[str, Any]]]
Auth = Callable[[str], dict[str, str]]


def test_no_secret_in_any_stored_field(
    scenario_client: Callable[..., TestClient], rows: Rows, auth: Auth
) -> None:
    client = scenario_client()
    admin = auth("admin-a") | {"X-Api-Key": "hdr-SECRET-key", "Cookie": "sid=cookie-SECRET"}
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
