"""Workspaces: CRUD, list conventions, quota validation."""

from __future__ import annotations

from starlette.testclient import TestClient


def test_workspace_crud(platform: TestClient) -> None:
    body = {
        "name": "production",
        "description": "Production environment",
        "region": "us-west-2",
        "config": {"environment": "production"},
        "resource_quota": {"cpu": "500m", "memory": "200Gi"},
    }
    created = platform.post("/v1/workspaces", json=body)
    assert created.status_code == 201, created.text
    workspace = created.json()
    assert workspace["id"].startswith("ws_")
    assert created.headers["location"] == f"/v1/workspaces/{workspace['id']}"
    assert workspace["resource_quota"] == {"cpu": "500m", "memory": "200Gi"}
    assert workspace["organization"] is None

    assert platform.get(f"/v1/workspaces/{workspace['id']}").json() == workspace

    patched = platform.patch(
        f"/v1/workspaces/{workspace['id']}",
        json={"resource_quota": {"cpu": "100"}, "config": {"environment": "staging"}},
    )
    assert patched.status_code == 200
    assert patched.json()["resource_quota"] == {"cpu": "100", "memory": "200Gi"}
    assert patched.json()["config"] == {"environment": "staging"}
    assert patched.json()["region"] == "us-west-2"

    assert platform.delete(f"/v1/workspaces/{workspace['id']}").status_code == 204
    missing = platform.get(f"/v1/workspaces/{workspace['id']}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert platform.delete(f"/v1/workspaces/{workspace['id']}").status_code == 404


def test_workspace_list_paginates_searches_and_sorts(platform: TestClient) -> None:
    for name in ("Development", "Staging", "Production", "dev-sandbox"):
        assert platform.post("/v1/workspaces", json={"name": name}).status_code == 201
    page = platform.get("/v1/workspaces", params={"per_page": 2, "sort": "name", "order": "asc"})
    body = page.json()
    assert body["pagination"] == {"page": 1, "per_page": 2, "total": 4, "pages": 2}
    assert [w["name"] for w in body["data"]] == sorted(
        ["Development", "Staging", "Production", "dev-sandbox"]
    )[:2]
    assert 'rel="next"' in page.headers["link"]
    found = platform.get("/v1/workspaces", params={"search": "DEV"}).json()
    assert sorted(w["name"] for w in found["data"]) == ["Development", "dev-sandbox"]
    # LIKE wildcards in the search are literal characters.
    assert platform.get("/v1/workspaces", params={"search": "%"}).json()["data"] == []


def test_workspace_validation(platform: TestClient) -> None:
    bad_quota = platform.post(
        "/v1/workspaces", json={"name": "x", "resource_quota": {"memory": "lots"}}
    )
    assert bad_quota.status_code == 400
    assert bad_quota.json()["error"]["details"][0]["field"] == "resource_quota.memory"
    assert platform.post("/v1/workspaces", json={"config": {}}).status_code == 400
    assert platform.patch("/v1/workspaces/ws_nothere", json={"name": "x"}).status_code == 404
    assert platform.get("/v1/workspaces/not-an-id").status_code == 400
