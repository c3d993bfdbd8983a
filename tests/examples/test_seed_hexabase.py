"""Hexabase.AI (seed 001): each deviation issue 30 found, checked against the seed's own example.

Each test quotes the seed lines it checks (``/work/shared/seeds/001_*.txt``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable

from starlette.testclient import TestClient

from tests.conftest import AuthIdentity
from tests.examples.seed_support import hexabase_key, served
from tests.plugins.webhooks.webhooks_support import Receiver


def test_hexabase_validation_details_is_one_object(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    # Seed 001 shows `details` as one object ({"resource_type", "resource_id"}); a validation
    # error's details follow it: {"field", "reason"}.
    client, _ = served("hexabase", example_client, app_factory, auth_factory)
    # The example has migrated the database (with revisions the reference history lacks).
    identity = auth_factory(app_factory(auto_migrate=False))
    session = {"Authorization": f"Bearer {identity.session_token}"}
    made = client.post("/v1/api-keys", json={"name": "k", "scopes": ["write"]}, headers=session)
    assert made.status_code == 201, made.text
    auth = {"Authorization": f"Bearer {made.json()['key']}"}
    response = client.post("/v1/projects", json={}, headers=auth)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("INVALID_REQUEST", "Invalid request parameters")
    assert error["details"] == {"field": "name", "reason": "required"}


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


def test_hexabase_audits_reads_too(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> None:
    # Seed 001: "Audit Logging: All API calls are logged with timestamp, API key, IP address,
    # request details, and response status."
    client, _ = served("hexabase", example_client, app_factory, auth_factory)
    # The example has migrated the database (with revisions the reference history lacks).
    identity = auth_factory(app_factory(auto_migrate=False))
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
