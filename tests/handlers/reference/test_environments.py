"""Environments: CRUD, project environments, filters, unique names, cascades."""

from __future__ import annotations

from starlette.testclient import TestClient

from .helpers import make_environment, make_project, make_variable


def test_environment_crud_with_seed_fields(platform: TestClient) -> None:
    project_id = make_project(platform)
    created = platform.post(
        "/v1/environments",
        json={
            "name": "staging",
            "project": project_id,
            "environment_type": "staging",
            "description": "Staging environment for testing",
        },
    )
    assert created.status_code == 201, created.text
    env = created.json()
    assert env["id"].startswith("env_")
    assert created.headers["location"] == f"/v1/environments/{env['id']}"
    assert env["project"] == project_id
    assert env["project_name"] == "Web Application"
    assert env["variable_count"] == 0
    assert env["created_by_name"] is None

    make_variable(platform, env["id"], "API_KEY", "sk_live_abcd1234567890")
    got = platform.get(f"/v1/environments/{env['id']}").json()
    assert got["variable_count"] == 1

    patched = platform.patch(
        f"/v1/environments/{env['id']}", json={"name": "qa", "environment_type": "testing"}
    )
    assert patched.status_code == 200
    assert (patched.json()["name"], patched.json()["environment_type"]) == ("qa", "testing")
    assert patched.json()["variable_count"] == 1

    assert platform.delete(f"/v1/environments/{env['id']}").status_code == 204
    assert platform.get(f"/v1/environments/{env['id']}").status_code == 404
    # Its variables went with it.
    assert platform.get(f"/v1/environments/{env['id']}/variables").status_code == 404


def test_names_are_unique_per_project(platform: TestClient) -> None:
    first, second = make_project(platform, name="A"), make_project(platform, name="B")
    make_environment(platform, first, name="production")
    make_environment(platform, second, name="production")  # another project: fine
    duplicate = platform.post("/v1/environments", json={"name": "production", "project": first})
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "conflict"
    staging = make_environment(platform, first, name="staging", environment_type="staging")
    renamed = platform.patch(f"/v1/environments/{staging['id']}", json={"name": "production"})
    assert renamed.status_code == 409
    same = platform.patch(f"/v1/environments/{staging['id']}", json={"name": "staging"})
    assert same.status_code == 200


def test_lists_filter_by_project_and_type(platform: TestClient) -> None:
    web, api = make_project(platform, name="Web"), make_project(platform, name="API")
    make_environment(platform, web, name="production", environment_type="production")
    make_environment(platform, web, name="staging", environment_type="staging")
    make_environment(platform, api, name="production", environment_type="production")

    everything = platform.get("/v1/environments").json()
    assert everything["pagination"]["total"] == 3
    of_web = platform.get("/v1/environments", params={"project": web}).json()["data"]
    assert sorted(e["name"] for e in of_web) == ["production", "staging"]
    prod = platform.get("/v1/environments", params={"environment_type": "production"}).json()
    assert sorted(e["project_name"] for e in prod["data"]) == ["API", "Web"]
    bad_type = platform.get("/v1/environments", params={"environment_type": "prod"})
    assert bad_type.status_code == 400

    nested = platform.get(f"/v1/projects/{web}/environments", params={"sort": "name"})
    assert nested.status_code == 200
    assert [e["name"] for e in nested.json()["data"]] == ["staging", "production"]
    assert nested.json()["pagination"]["total"] == 2
    staging_only = platform.get(
        f"/v1/projects/{web}/environments", params={"environment_type": "staging"}
    ).json()
    assert [e["name"] for e in staging_only["data"]] == ["staging"]
    assert platform.get("/v1/projects/proj_nothere/environments").status_code == 404


def test_unknown_project_and_project_cascade(platform: TestClient) -> None:
    missing = platform.post("/v1/environments", json={"name": "x", "project": "proj_nothere"})
    assert missing.status_code == 404
    project_id = make_project(platform)
    env = make_environment(platform, project_id)
    variable = make_variable(platform, env["id"], "A", "1")
    assert platform.delete(f"/v1/projects/{project_id}").status_code == 204
    assert platform.get(f"/v1/environments/{env['id']}").status_code == 404
    assert platform.get(f"/v1/variables/{variable['id']}").status_code == 404
