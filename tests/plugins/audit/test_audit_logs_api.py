"""``GET /v1/audit-logs``: filters, cursor pagination, admins only, one organisation each.

Users and keys are real: registered and minted over HTTP on an issuer sharing the database
(so they add no audit rows of their own), then used on the app under test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from starlette.testclient import TestClient

if TYPE_CHECKING:
    from tests.conftest import AuthIdentity

Rows = Callable[[TestClient], list[dict[str, Any]]]
Identity = Callable[..., "AuthIdentity"]
PLUGINS = ("auth", "audit")


@dataclass
class Populated:
    client: TestClient
    admin_a: AuthIdentity
    member_a: AuthIdentity
    admin_b: AuthIdentity


@pytest.fixture
def populated(
    app_factory: Callable[..., TestClient],
    issuer: Callable[..., TestClient],
    auth_factory: Identity,
    member_factory: Identity,
    database_url: str,
    rows: Rows,
) -> Populated:
    """org A: 5 creates, 2 updates, 1 delete by its admin, 1 create by a member; org B: 1."""
    client = app_factory(database_url=database_url, plugins=PLUGINS)
    minted = issuer(database_url=database_url)
    admin_a = auth_factory(minted)
    member_a = member_factory(minted, admin_a)
    admin_b = auth_factory(minted)
    ids = []
    for i in range(5):
        response = client.post("/v1/projects", json={"name": f"p{i}"}, headers=admin_a.headers)
        ids.append(response.json()["id"])
    for project_id in ids[:2]:
        client.patch(f"/v1/projects/{project_id}", json={"name": "x"}, headers=admin_a.headers)
    client.delete(f"/v1/projects/{ids[4]}", headers=admin_a.headers)
    client.post("/v1/projects", json={"name": "m"}, headers=member_a.headers)
    client.post("/v1/projects", json={"name": "b"}, headers=admin_b.headers)
    assert len(rows(client)) == 10
    return Populated(client, admin_a, member_a, admin_b)


def _all_pages(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    cursor = None
    for _ in range(20):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/audit-logs", params=query, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        entries += body["data"]
        assert body["has_more"] is (body["next_cursor"] is not None)
        cursor = body["next_cursor"]
        if cursor is None:
            return entries
    raise AssertionError("pagination did not end")


def test_cursor_pagination_walks_every_entry_once(populated: Populated) -> None:
    client, admin = populated.client, populated.admin_a.headers
    entries = _all_pages(client, admin, limit=3)
    assert len(entries) == 9
    assert len({e["id"] for e in entries}) == 9
    stamps = [e["timestamp"] for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    assert {e["organization"] for e in entries} == {populated.admin_a.organization_id}
    first = client.get("/v1/audit-logs", params={"limit": 3}, headers=admin).json()
    assert len(first["data"]) == 3
    assert first["data"][0]["action"] == "project.created"
    assert first["data"][0]["user_id"] == populated.member_a.user_id
    assert first["data"][0]["api_key_id"] == populated.member_a.key_id
    assert first["data"][0]["actor_type"] == "api_key"
    entry = first["data"][0]
    assert set(entry) >= {"id", "timestamp", "action", "user_id", "api_key_id", "ip_address"}
    assert entry["target_type"] == "project"


def test_filters(populated: Populated) -> None:
    client, admin = populated.client, populated.admin_a.headers
    created = _all_pages(client, admin, action="project.created")
    assert len(created) == 6
    assert len(_all_pages(client, admin, action="project.updated", limit=1)) == 2
    assert len(_all_pages(client, admin, user=populated.member_a.user_id)) == 1
    assert len(_all_pages(client, admin, user=populated.admin_a.user_id)) == 8
    assert _all_pages(client, admin, user=populated.admin_b.user_id) == []
    assert len(_all_pages(client, admin, target_type="project")) == 9
    assert _all_pages(client, admin, target_type="variable") == []
    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    assert len(_all_pages(client, admin, date_from=today.isoformat())) == 9
    assert len(_all_pages(client, admin, date_to=today.isoformat())) == 9
    assert _all_pages(client, admin, date_to=yesterday.isoformat()) == []
    newest = created[0]["timestamp"]
    assert len(_all_pages(client, admin, date_from=newest, action="project.created")) == 1
    assert len(_all_pages(client, admin, date_to=newest, action="project.created")) == 6


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2025-13-01"}, "date_from"),
        ({"date_to": "2025-02-30T10:00:00Z"}, "date_to"),
        ({"date_from": "2025-02-02", "date_to": "2025-02-01"}, "date_from"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_parameters_are_400(
    app_factory: Callable[..., TestClient],
    auth_factory: Identity,
    params: dict[str, Any],
    field: str,
) -> None:
    client = app_factory(plugins=PLUGINS)
    admin = auth_factory(client)
    response = client.get("/v1/audit-logs", params=params, headers=admin.headers)
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == field


def test_admins_only_and_tenant_isolated(populated: Populated, rows: Rows) -> None:
    client, member = populated.client, populated.member_a
    assert client.get("/v1/audit-logs").status_code == 401
    # The member's key lacks the admin scope, and so does their session (a member's role).
    assert client.get("/v1/audit-logs", headers=member.headers).status_code == 403
    as_session = {"Authorization": f"Token {member.session_token}"}
    assert client.get("/v1/audit-logs", headers=as_session).status_code == 403
    # Rows are written in the background: let the refusals land before reading the trail.
    assert len(rows(client)) == 13
    org_b = _all_pages(client, populated.admin_b.headers)
    # org B sees its own create only, not org A's entries nor org A's refused attempts.
    assert [(e["action"], e["organization"]) for e in org_b] == [
        ("project.created", populated.admin_b.organization_id)
    ]
    # org A's admin sees its member's refused attempts, each naming the member.
    refused = _all_pages(client, populated.admin_a.headers, action="auth.forbidden")
    assert [(e["user_id"], e["api_key_id"], e["actor_type"]) for e in refused] == [
        (member.user_id, None, "session"),
        (member.user_id, member.key_id, "api_key"),
    ]
