"""KeyNest's handlers on the store path, on SQLite and PostgreSQL: a request acts in the
organisation holding its project, environment or variable when the caller is a member there
(a viewer reads, never changes), a non-member gets 404; projects show their organisation's
name, their creator's name and their environment count, computed in the reading statement."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from httpx import Response
from sqlalchemy import update
from starlette.testclient import TestClient

from specway.plugins.auth.models import Membership
from specway.storage.database import Database
from tests.examples.seed_support import KEYNEST_USER, keynest_token


def _add_member(database_url: str, organization_id: str, user_id: str, role: str) -> None:
    async def add() -> None:
        database = Database(database_url)
        try:
            async with database.session() as session, session.begin():
                session.add(Membership(organization_id=organization_id, user_id=user_id, role=role))
        finally:
            await database.dispose()

    asyncio.run(add())


def _import(client: TestClient, env_id: str, text: str, auth: dict[str, str]) -> Response:
    files = {"file": (".env", text.encode(), "text/plain")}
    response: Response = client.post(
        f"/api/environments/{env_id}/import/", files=files, headers=auth
    )
    return response


def _set_role(database_url: str, user_id: str, role: str) -> None:
    async def change() -> None:
        database = Database(database_url)
        try:
            async with database.session() as session, session.begin():
                await session.execute(
                    update(Membership).where(Membership.user_id == user_id).values(role=role)
                )
        finally:
            await database.dispose()

    asyncio.run(change())


def test_keynest_acts_in_the_organisation_holding_the_row(
    example_client: Callable[..., TestClient], database_url: str
) -> None:
    client = example_client("keynest", database_url=database_url)
    auth = keynest_token(client)
    org = client.post("/api/organizations/", json={"name": "Acme Corp"}, headers=auth).json()
    body = {"name": "Web", "description": "d", "organization": org["id"]}
    made = client.post("/api/projects/", json=body, headers=auth)
    assert made.status_code == 201, made.text
    project = made.json()
    assert (project["organization_name"], project["created_by_name"]) == ("Acme Corp", "John Doe")
    assert project["environment_count"] == 0
    env_body = {"name": "production", "project": project["id"]}
    env = client.post("/api/environments/", json=env_body, headers=auth).json()
    var_body = {"key": "API_KEY", "value": "s3cret", "environment": env["id"]}
    var = client.post("/api/variables/", json=var_body, headers=auth).json()
    got = client.get(f"/api/projects/{project['id']}/", headers=auth).json()
    assert (got["environment_count"], got["created_by_name"]) == (1, "John Doe")
    assert set(got) == set(project)  # the store's status and config are not shown

    # Another user: nothing of Acme's exists for them until they are a member.
    other = keynest_token(
        client, username="jane", email="jane@example.com", first_name="Jane", last_name=""
    )
    assert client.get(f"/api/projects/{project['id']}/", headers=other).status_code == 404
    unknown = client.patch(f"/api/variables/{var['id']}/", json={"value": "x"}, headers=other)
    assert unknown.status_code == 404
    jane = client.get("/api/auth/profile/", headers=other).json()["id"]
    _add_member(database_url, org["id"], jane, "viewer")

    # A viewer reads the organisation's projects, environments and values...
    listed = client.get(f"/api/projects/?organization={org['id']}", headers=other)
    assert [p["id"] for p in listed.json()["results"]] == [project["id"]]
    assert client.get(f"/api/projects/{project['id']}/", headers=other).status_code == 200
    variables = client.get(f"/api/environments/{env['id']}/variables/", headers=other)
    assert [v["decrypted_value"] for v in variables.json()["results"]] == ["s3cret"]
    # ... and changes none of them.
    denied = [
        client.patch(f"/api/projects/{project['id']}/", json={"name": "x"}, headers=other),
        client.delete(f"/api/projects/{project['id']}/", headers=other),
        client.post("/api/projects/", json={"name": "x", "organization": org["id"]}, headers=other),
        client.post(
            "/api/environments/", json={"name": "qa", "project": project["id"]}, headers=other
        ),
        client.patch(f"/api/variables/{var['id']}/", json={"value": "x"}, headers=other),
        client.delete(f"/api/variables/{var['id']}/", headers=other),
        _import(client, env["id"], "A=1\n", other),
    ]
    assert [r.status_code for r in denied] == [403] * 7, [r.text for r in denied]

    # A member changes them; what they make carries their name.
    _set_role(database_url, jane, "member")
    body = {"name": "Jane's", "organization": org["id"]}
    theirs = client.post("/api/projects/", json=body, headers=other)
    assert theirs.status_code == 201, theirs.text
    assert (theirs.json()["organization_name"], theirs.json()["created_by_name"]) == (
        "Acme Corp",
        "Jane",
    )
    renamed = client.patch(f"/api/projects/{project['id']}/", json={"name": "W"}, headers=other)
    assert (renamed.status_code, renamed.json()["name"]) == (200, "W")
    assert renamed.json()["created_by_name"] == "John Doe"
    changed = client.patch(f"/api/variables/{var['id']}/", json={"value": "new"}, headers=other)
    assert (changed.status_code, changed.json()["decrypted_value"]) == (200, "new")
    listed = client.get(f"/api/projects/?organization={org['id']}&search=jane", headers=other)
    assert [p["name"] for p in listed.json()["results"]] == ["Jane's"]
    assert client.delete(f"/api/projects/{theirs.json()['id']}/", headers=other).status_code == 204
    assert client.get("/api/projects/?organization=org_nope", headers=other).status_code == 404
    # The .env import and export act there too, the export headed with its name.
    imported = _import(client, env["id"], "API_KEY=again\nREGION=eu\n", other)
    assert imported.status_code == 200, imported.text
    summary = imported.json()["summary"]
    assert (summary["imported"], summary["updated"]) == (1, 1)
    exported = client.get(f"/api/environments/{env['id']}/export/", headers=other)
    assert exported.status_code == 200, exported.text
    assert "# Organization: Acme Corp" in exported.text.splitlines()
    assert [line for line in exported.text.splitlines() if line[:1] not in ("#", "")] == [
        "API_KEY=again",
        "REGION=eu",
    ]


def test_keynest_audit_pages_carry_their_users_and_total(
    example_client: Callable[..., TestClient], database_url: str
) -> None:
    client = example_client("keynest", database_url=database_url)
    auth = keynest_token(client)
    for i in range(3):
        made = client.post("/api/projects/", json={"name": f"p{i}"}, headers=auth)
        assert made.status_code == 201, made.text

    def page(query: str) -> tuple[list[tuple[str, str | None, str | None]], int]:
        response = client.get(f"/api/audit-logs/?{query}", headers=auth)
        assert response.status_code == 200, response.text
        body = response.json()
        found = [(e["action"], e["user_name"], e["user_email"]) for e in body["results"]]
        return found, body["count"]

    created = ("project_created", "John Doe", KEYNEST_USER["email"])
    assert page("target_type=project&per_page=2") == ([created, created], 3)
    assert page("target_type=project&per_page=2&page=2") == ([created], 3)
    assert page("action=project_created&user=usr_nobody") == ([], 0)
    _, total = page("per_page=1")
    assert total >= 4  # the registration and the three projects at least
    assert page(f"per_page=1&page={total + 1}") == ([], total)  # past the end: still counted
    newest = client.get("/api/audit-logs/?per_page=1", headers=auth).json()["results"][0]
    assert (newest["target_type"], newest["details"]["status"]) == ("project", 201)
