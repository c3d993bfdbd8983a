from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from tests.conftest import AuthIdentity


def test_project_crud_and_list_envelope(
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
    database_url: str,
) -> None:
    client = app_factory(database_url=database_url)
    client.headers.update(auth_factory(client).headers)
    created = client.post("/v1/projects", json={"name": "Alpha", "config": {"region": "us-west-2"}})
    assert created.status_code == 201
    project = created.json()
    assert project["id"].startswith("proj_")
    assert project["created_at"].endswith("Z")
    assert created.headers["location"] == f"/v1/projects/{project['id']}"

    got = client.get(f"/v1/projects/{project['id']}")
    assert got.status_code == 200
    assert got.json() == project

    patched = client.patch(
        f"/v1/projects/{project['id']}", json={"name": "Beta", "config": {"environment": "staging"}}
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "Beta"
    assert patched.json()["config"] == {"region": "us-west-2", "environment": "staging"}

    listed = client.get("/v1/projects")
    body = listed.json()
    assert body["pagination"] == {"page": 1, "per_page": 20, "total": 1, "pages": 1}
    assert [p["id"] for p in body["data"]] == [project["id"]]
    assert 'rel="first"' in listed.headers["link"]

    assert client.delete(f"/v1/projects/{project['id']}").status_code == 204
    missing = client.get(f"/v1/projects/{project['id']}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert missing.json()["error"]["request_id"] == missing.headers["x-request-id"]


def test_pagination_filters_and_sorting(
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
    database_url: str,
) -> None:
    client = app_factory(database_url=database_url)
    client.headers.update(auth_factory(client).headers)
    for i in range(7):
        status = "archived" if i % 3 == 0 else "active"
        assert (
            client.post("/v1/projects", json={"name": f"svc-{i:02d}", "status": status}).status_code
            == 201
        )
    page2 = client.get(
        "/v1/projects", params={"per_page": 3, "page": 2, "sort": "name", "order": "asc"}
    ).json()
    assert [p["name"] for p in page2["data"]] == ["svc-03", "svc-04", "svc-05"]
    assert page2["pagination"] == {"page": 2, "per_page": 3, "total": 7, "pages": 3}
    assert page2["links"]["prev"] is not None
    assert "page=1" in page2["links"]["prev"]
    assert "page=3" in page2["links"]["next"]
    archived = client.get("/v1/projects", params={"status": "archived"}).json()
    assert sorted(p["name"] for p in archived["data"]) == ["svc-00", "svc-03", "svc-06"]
    searched = client.get("/v1/projects", params={"search": "SVC-0"}).json()
    assert searched["pagination"]["total"] == 7
    assert client.get("/v1/projects", params={"search": "nothing"}).json()["data"] == []
    too_big = client.get("/v1/projects", params={"per_page": 101})
    assert too_big.status_code == 400
    assert too_big.json()["error"]["details"][0]["field"] == "per_page"
