"""Tenant isolation: another organisation's ids are 404 everywhere, lists never mix tenants."""

from __future__ import annotations

from starlette.testclient import TestClient

from .helpers import as_org, make_environment, make_project, make_variable

A, B = as_org("org_a"), as_org("org_b")


def test_another_organisations_ids_are_not_found(platform: TestClient) -> None:
    workspace = platform.post("/v1/workspaces", json={"name": "A's"}, headers=A).json()
    project_id = make_project(platform, org="org_a")
    env = make_environment(platform, project_id, org="org_a")
    variable = make_variable(platform, env["id"], "API_KEY", "a-secret", org="org_a")
    assert workspace["organization"] == "org_a"
    assert env["organization"] == "org_a"

    ws, env_id, var_id = workspace["id"], env["id"], variable["id"]
    foreign_calls = [
        ("GET", f"/v1/workspaces/{ws}", None),
        ("PATCH", f"/v1/workspaces/{ws}", {"name": "mine now"}),
        ("DELETE", f"/v1/workspaces/{ws}", None),
        ("GET", f"/v1/environments/{env_id}", None),
        ("PATCH", f"/v1/environments/{env_id}", {"name": "mine now"}),
        ("DELETE", f"/v1/environments/{env_id}", None),
        ("GET", f"/v1/environments/{env_id}/variables", None),
        ("GET", f"/v1/environments/{env_id}/export", None),
        ("GET", f"/v1/projects/{project_id}/environments", None),
        ("GET", f"/v1/variables/{var_id}", None),
        ("PATCH", f"/v1/variables/{var_id}", {"value": "overwritten"}),
        ("DELETE", f"/v1/variables/{var_id}", None),
        ("POST", "/v1/environments", {"name": "x", "project": project_id}),
        ("POST", "/v1/variables", {"key": "X", "value": "1", "environment": env_id}),
    ]
    for headers in (B, {}):  # another organisation, and no organisation at all
        for method, path, body in foreign_calls:
            response = platform.request(method, path, json=body, headers=headers)
            assert response.status_code == 404, (method, path, response.text)
            assert "a-secret" not in response.text
        imported = platform.post(
            f"/v1/environments/{env_id}/import",
            files={"file": (".env", b"API_KEY=stolen\n")},
            headers=headers,
        )
        assert imported.status_code == 404

    # Nothing changed for the owner.
    assert platform.get(f"/v1/workspaces/{ws}", headers=A).json()["name"] == "A's"
    assert platform.get(f"/v1/variables/{var_id}", headers=A).json()["decrypted_value"] == (
        "a-secret"
    )
    assert platform.get(f"/v1/environments/{env_id}", headers=A).json()["variable_count"] == 1


def test_lists_only_show_the_callers_rows(platform: TestClient) -> None:
    for org in ("org_a", "org_b"):
        headers = as_org(org)
        platform.post("/v1/workspaces", json={"name": f"ws of {org}"}, headers=headers)
        project_id = make_project(platform, org=org, name=f"project of {org}")
        make_environment(platform, project_id, org=org, name="production")
    for org in ("org_a", "org_b"):
        headers = as_org(org)
        workspaces = platform.get("/v1/workspaces", headers=headers).json()["data"]
        assert [w["name"] for w in workspaces] == [f"ws of {org}"]
        envs = platform.get("/v1/environments", headers=headers).json()["data"]
        assert [e["project_name"] for e in envs] == [f"project of {org}"]
    assert platform.get("/v1/workspaces").json()["data"] == []
    b_project = platform.get("/v1/environments", headers=B).json()["data"][0]["project"]
    filtered = platform.get("/v1/environments", params={"project": b_project}, headers=A).json()
    assert filtered["data"] == []
