"""``GET /v1/audit-logs``: filters, cursor pagination, admins only, one organisation each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

Rows = Callable[[TestClient], list[dict[str, Any]]]
Auth = Callable[[str], dict[str, str]]
PLUGINS = ("audit", "fake_auth")


@pytest.fixture
def populated(
    app_factory: Callable[..., TestClient], database_url: str, rows: Rows, auth: Auth
) -> TestClient:
    """org_a: 5 creates, 2 updates, 1 delete by its admin, 1 create by a member; org_b: 1."""
    client = app_factory(database_url=database_url, plugins=PLUGINS)
    ids = []
    for i in range(5):
        response = client.post("/v1/projects", json={"name": f"p{i}"}, headers=auth("admin-a"))
        ids.append(response.json()["id"])
    for project_id in ids[:2]:
        client.patch(f"/v1/projects/{project_id}", json={"name": "x"}, headers=auth("admin-a"))
    client.delete(f"/v1/projects/{ids[4]}", headers=auth("admin-a"))
    client.post("/v1/projects", json={"name": "m"}, headers=auth("member-a"))
    client.post("/v1/projects", json={"name": "b"}, headers=auth("admin-b"))
    assert len(rows(client)) == 10
    return client


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


def test_cursor_pagination_walks_every_entry_once(populated: TestClient, auth: Auth) -> None:
    entries = _all_pages(populated, auth("admin-a"), limit=3)
    assert len(entries) == 9
    assert len({e["id"] for e in entries}) == 9
    stamps = [e["timestamp"] for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    assert {e["organization"] for e in entries} == {"org_a"}
    first = populated.get("/v1/audit-logs", params={"limit": 3}, headers=auth("admin-a")).json()
    assert len(first["data"]) == 3
    assert first["data"][0]["action"] == "project.created"
    assert first["data"][0]["user_id"] == "usr_member_a"
    entry = first["data"][0]
    assert set(entry) >= {"id", "timestamp", "action", "user_id", "api_key_id", "ip_address"}
    assert entry["target_type"] == "project"


def test_filters(populated: TestClient, auth: Auth) -> None:
    admin = auth("admin-a")
    created = _all_pages(populated, admin, action="project.created")
    assert len(created) == 6
    assert len(_all_pages(populated, admin, action="project.updated", limit=1)) == 2
    assert len(_all_pages(populated, admin, user="usr_member_a")) == 1
    assert len(_all_pages(populated, admin, user="usr_admin_a")) == 8
    assert len(_all_pages(populated, admin, target_type="project")) == 9
    assert _all_pages(populated, admin, target_type="variable") == []
    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    assert len(_all_pages(populated, admin, date_from=today.isoformat())) == 9
    assert len(_all_pages(populated, admin, date_to=today.isoformat())) == 9
    assert _all_pages(populated, admin, date_to=yesterday.isoformat()) == []
    newest = created[0]["timestamp"]
    assert len(_all_pages(populated, admin, date_from=newest, action="project.created")) == 1
    assert len(_all_pages(populated, admin, date_to=newest, action="project.created")) == 6


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
    app_factory: Callable[..., TestClient], auth: Auth, params: dict[str, Any], field: str
) -> None:
    client = app_factory(plugins=PLUGINS)
    response = client.get("/v1/audit-logs", params=params, headers=auth("admin-a"))
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == field


def test_admins_only_and_tenant_isolated(populated: TestClient, auth: Auth) -> None:
    assert populated.get("/v1/audit-logs").status_code == 401
    assert populated.get("/v1/audit-logs", headers=auth("member-a")).status_code == 403
    assert populated.get("/v1/audit-logs", headers=auth("scoped-member-a")).status_code == 403
    org_b = _all_pages(populated, auth("admin-b"))
    # org_b sees its own create only, not org_a's entries nor org_a's refused attempts.
    assert [(e["action"], e["organization"]) for e in org_b] == [("project.created", "org_b")]
