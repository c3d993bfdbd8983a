"""Test-mode keys act in a sandbox twin of their organisation (``x-specway-auth.sandbox``).

Every resource of the reference API is checked both ways: made with a test key it is 404 and
absent from lists for a live key (and a session), and the other way round.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from starlette.testclient import TestClient

from specway.app import create_app
from specway.cli import main
from specway.plugins.auth import accounts
from specway.plugins.auth.models import Organization
from specway.plugins.auth.sandbox import SandboxLink, sandbox_organization_id
from specway.storage.database import Database
from tests.conftest import REFERENCE_SPEC, write_variant
from tests.plugins.auth.support import bearer, mint_key, register, token_headers

SECRET = "test-secret-key-0123456789abcdef"
MODE = "X-Specway-Mode"


@dataclass
class Account:
    """One user and organisation with a live key, a test key and the session token."""

    client: TestClient
    organization_id: str
    session: dict[str, str]
    live: dict[str, str]
    test: dict[str, str]
    live_key: dict[str, Any]
    test_key: dict[str, Any]


def open_account(client: TestClient) -> Account:
    user = register(client)
    live_key = mint_key(client, user["token"])
    test_key = mint_key(client, user["token"], test_mode=True)
    assert live_key["key"].startswith("sk_live_")
    assert test_key["key"].startswith("sk_test_")
    return Account(
        client,
        user["organization"]["id"],
        token_headers(user["token"]),
        bearer(live_key["key"]),
        bearer(test_key["key"]),
        live_key,
        test_key,
    )


def spec_with(tmp_path: Path, auth: dict[str, Any], **extra: Any) -> Path:
    """The reference spec with ``x-specway-auth: auth`` (and other top-level keys)."""
    document = yaml.safe_load(REFERENCE_SPEC.read_text())
    document["x-specway-auth"] = auth
    document.update(extra)
    return write_variant(document, tmp_path)


@pytest.fixture
def account(app_factory: Callable[..., TestClient], database_url: str) -> Account:
    return open_account(app_factory(database_url=database_url))


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def total(client: TestClient, path: str, headers: dict[str, str]) -> int:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    count: int = response.json()["pagination"]["total"]
    return count


def make_resources(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    """One of each tenant-scoped resource, made through the API with ``headers``; their paths."""
    project = created(client.post("/v1/projects", json={"name": "p"}, headers=headers))
    pid = project["id"]
    workspace = created(client.post("/v1/workspaces", json={"name": "w"}, headers=headers))
    env = created(
        client.post(
            "/v1/environments",
            json={"name": "staging", "project": pid, "environment_type": "staging"},
            headers=headers,
        )
    )
    variable = created(
        client.post(
            "/v1/variables",
            json={"key": "API_URL", "value": "https://x", "environment": env["id"]},
            headers=headers,
        )
    )
    deployment = created(
        client.post(f"/v1/projects/{pid}/deployments", json={"version": "v1.0.0"}, headers=headers)
    )
    hook = created(
        client.post(
            "/v1/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "events": ["*"]},
            headers=headers,
        )
    )
    return {
        "project": f"/v1/projects/{pid}",
        "config": f"/v1/projects/{pid}/config",
        "project environments": f"/v1/projects/{pid}/environments",
        "workspace": f"/v1/workspaces/{workspace['id']}",
        "environment": f"/v1/environments/{env['id']}",
        "variables of environment": f"/v1/environments/{env['id']}/variables",
        "variable": f"/v1/variables/{variable['id']}",
        "deployment": f"/v1/projects/{pid}/deployments/{deployment['id']}",
        "webhook": f"/v1/webhooks/{hook['id']}",
        "deliveries": f"/v1/webhooks/{hook['id']}/deliveries",
    }


LISTS = ("/v1/projects", "/v1/workspaces", "/v1/environments", "/v1/webhooks")


@pytest.mark.parametrize("maker", ["test", "live"])
def test_each_resource_is_invisible_from_the_other_mode(account: Account, maker: str) -> None:
    client = account.client
    own, other = (account.test, account.live) if maker == "test" else (account.live, account.test)
    before = {path: total(client, path, other) for path in LISTS}
    paths = make_resources(client, own)
    for name, path in paths.items():
        assert client.get(path, headers=own).status_code == 200, name
        response = client.get(path, headers=other)
        assert response.status_code == 404, (name, response.text)
        assert response.json()["error"]["code"] == "not_found"
    # Changes from the other mode find nothing either, and change nothing.
    assert client.patch(paths["project"], json={"name": "x"}, headers=other).status_code == 404
    assert client.delete(paths["variable"], headers=other).status_code == 404
    assert client.get(paths["project"], headers=own).json()["name"] == "p"
    for path in LISTS:
        assert total(client, path, own) == 1, path
        assert total(client, path, other) == before[path], path
    if maker == "test":  # sessions (user logins) are live
        assert client.get(paths["project"], headers=account.session).status_code == 404
        assert total(client, "/v1/projects", account.session) == 0


def test_audit_logs_are_kept_apart(account: Account) -> None:
    client = account.client
    created(client.post("/v1/projects", json={"name": "in test"}, headers=account.test))
    created(client.post("/v1/projects", json={"name": "in live"}, headers=account.live))
    created(client.post("/v1/projects", json={"name": "in live 2"}, headers=account.live))

    def actions(headers: dict[str, str]) -> list[str]:
        response = client.get(
            "/v1/audit-logs", params={"action": "project.created"}, headers=headers
        )
        assert response.status_code == 200, response.text
        return [entry["target_id"] for entry in response.json()["data"]]

    assert len(actions(account.test)) == 1
    assert len(actions(account.live)) == 2
    assert not set(actions(account.test)) & set(actions(account.live))


def test_webhooks_receive_only_their_own_modes_events(account: Account) -> None:
    client = account.client
    hooks = {
        mode: created(
            client.post(
                "/v1/webhooks",
                json={"url": f"http://127.0.0.1:9/{mode}", "events": ["project.created"]},
                headers=headers,
            )
        )
        for mode, headers in (("test", account.test), ("live", account.live))
    }
    test_project = created(client.post("/v1/projects", json={"name": "t"}, headers=account.test))
    created(client.post("/v1/projects", json={"name": "l1"}, headers=account.live))
    created(client.post("/v1/projects", json={"name": "l2"}, headers=account.live))

    def deliveries(mode: str, headers: dict[str, str]) -> list[dict[str, Any]]:
        url = f"/v1/webhooks/{hooks[mode]['id']}/deliveries"
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["data"]
        return found

    test_deliveries = deliveries("test", account.test)
    assert len(test_deliveries) == 1
    assert len(deliveries("live", account.live)) == 2
    events = client.get("/v1/webhook-events", headers=account.test)
    assert events.status_code == 200
    sent = client.get("/v1/audit-logs", headers=account.test).json()["data"]
    assert test_project["id"] in {entry["target_id"] for entry in sent}


def test_the_mode_header_marks_every_test_mode_response(account: Account) -> None:
    client = account.client
    ok = client.get("/v1/projects", headers=account.test)
    missing = client.get("/v1/projects/proj_nope", headers=account.test)
    assert (ok.status_code, ok.headers.get(MODE)) == (200, "test")
    assert (missing.status_code, missing.headers.get(MODE)) == (404, "test")
    for headers in (account.live, account.session):
        assert MODE not in client.get("/v1/projects", headers=headers).headers
    assert MODE not in client.get("/v1/projects").headers  # 401


def test_a_test_key_sees_its_sandbox_organisation(account: Account) -> None:
    client = account.client
    orgs = client.get("/v1/organizations", headers=account.test).json()["data"]
    assert len(orgs) == 1
    twin = orgs[0]
    assert twin["id"] != account.organization_id
    assert twin["project_count"] == 0
    assert twin["member_count"] == 1  # the live organisation's members, read-only
    members = client.get(f"/v1/organizations/{twin['id']}/members", headers=account.test)
    assert members.status_code == 200
    assert len(members.json()["data"]) == 1
    live_url = f"/v1/organizations/{account.organization_id}"
    assert client.get(live_url, headers=account.test).status_code == 404
    # The twin never shows up for live callers.
    twin_url = f"/v1/organizations/{twin['id']}"
    for headers in (account.live, account.session):
        assert client.get(twin_url, headers=headers).status_code == 404
        listed = client.get("/v1/organizations", headers=headers).json()["data"]
        assert [o["id"] for o in listed] == [account.organization_id]
    # Members are managed in live mode; the sandbox cannot be deleted.
    other = register(client)
    add = client.post(
        f"{twin_url}/members", json={"email": other["email"], "role": "admin"}, headers=account.test
    )
    assert add.status_code == 403
    assert add.json()["error"]["details"]["reason"] == "test_mode"
    assert client.delete(twin_url, headers=account.test).status_code == 403
    assert (
        client.get("/v1/organizations", headers=token_headers(other["token"])).json()["pagination"][
            "total"
        ]
        == 1
    )


def test_test_keys_manage_only_test_keys(account: Account) -> None:
    client = account.client
    minted = created(
        client.post("/v1/api-keys", json={"name": "ci", "scopes": ["read"]}, headers=account.test)
    )
    assert minted["key"].startswith("sk_test_")
    assert minted["test_mode"] is True
    assert minted["organization_id"] == account.organization_id
    listed = client.get("/v1/api-keys", headers=account.test).json()["data"]
    assert {k["id"] for k in listed} == {account.test_key["id"], minted["id"]}
    assert all(k["test_mode"] for k in listed)
    live_key_url = f"/v1/api-keys/{account.live_key['id']}"
    assert client.get(live_key_url, headers=account.test).status_code == 404
    assert client.delete(live_key_url, headers=account.test).status_code == 404
    assert client.get("/v1/projects", headers=account.live).status_code == 200
    every = client.get("/v1/api-keys", headers=account.live).json()["data"]
    assert len(every) == 3
    # A key minted in test mode works, in the same sandbox.
    project = created(client.post("/v1/projects", json={"name": "t"}, headers=account.test))
    seen = client.get(f"/v1/projects/{project['id']}", headers=bearer(minted["key"]))
    assert seen.status_code == 200


def test_two_organisations_get_two_sandboxes(
    app_factory: Callable[..., TestClient], database_url: str
) -> None:
    client = app_factory(database_url=database_url)
    a, b = open_account(client), open_account(client)
    project = created(client.post("/v1/projects", json={"name": "a"}, headers=a.test))
    assert client.get(f"/v1/projects/{project['id']}", headers=b.test).status_code == 404
    assert total(client, "/v1/projects", b.test) == 0
    a_twin = client.get("/v1/organizations", headers=a.test).json()["data"][0]["id"]
    b_twin = client.get("/v1/organizations", headers=b.test).json()["data"][0]["id"]
    assert len({a_twin, b_twin, a.organization_id, b.organization_id}) == 4


def test_deleting_the_live_organisation_deletes_its_sandbox(
    app_factory: Callable[..., TestClient], database_url: str
) -> None:
    client = app_factory(database_url=database_url)
    account = open_account(client)
    created(client.post("/v1/projects", json={"name": "t"}, headers=account.test))
    # A second organisation, so the user can delete the first.
    second = created(
        client.post("/v1/organizations", json={"name": "two"}, headers=account.session)
    )
    assert second["id"]
    url = f"/v1/organizations/{account.organization_id}"
    assert client.delete(url, headers=account.session).status_code == 204
    # The test key no longer acts for anyone (its organisation is gone).
    assert client.get("/v1/projects", headers=account.test).status_code == 401


def test_isolated_false_shares_live_data(
    app_factory: Callable[..., TestClient], tmp_path: Path
) -> None:
    spec = spec_with(tmp_path, {"sandbox": {"isolated": False}})
    client = app_factory(spec)
    account = open_account(client)
    project = created(client.post("/v1/projects", json={"name": "shared"}, headers=account.test))
    assert client.get(f"/v1/projects/{project['id']}", headers=account.live).status_code == 200
    response = client.get("/v1/projects", headers=account.test)
    assert response.headers[MODE] == "test"  # still told it is test mode


@pytest.mark.parametrize("limited", [True, False])
def test_sandbox_ratelimit_switch(
    app_factory: Callable[..., TestClient], tmp_path: Path, limited: bool
) -> None:
    document = yaml.safe_load(REFERENCE_SPEC.read_text())
    ratelimit = document["x-specway-ratelimit"]
    ratelimit["tiers"]["free"] = {"burst": 3}
    spec = spec_with(
        tmp_path, {"sandbox": {"ratelimit": limited}}, **{"x-specway-ratelimit": ratelimit}
    )
    client = app_factory(spec)
    account = open_account(client)
    test_codes = [client.get("/v1/projects", headers=account.test).status_code for _ in range(6)]
    live_codes = [client.get("/v1/projects", headers=account.live).status_code for _ in range(6)]
    assert live_codes.count(429) == 3  # live keys are always limited
    if limited:
        assert test_codes.count(429) == 3
    else:
        assert test_codes == [200] * 6
        response = client.get("/v1/projects", headers=account.test)
        assert "X-RateLimit-Limit" not in response.headers


def test_cli_reset_purges_only_sandbox_data(
    app_factory: Callable[..., TestClient],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    spec = spec_with(tmp_path, {"sandbox": {"reset_after": "P1D"}})
    client = app_factory(spec, database_url=database_url, secret_key=SECRET)
    account = open_account(client)
    test_paths = make_resources(client, account.test)
    live_paths = make_resources(client, account.live)
    twin = client.get("/v1/organizations", headers=account.test).json()["data"][0]["id"]
    monkeypatch.setenv("SPECWAY_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECWAY_SECRET_KEY", SECRET)

    # Made just now: not older than the spec's reset_after (P1D), nor than an hour.
    assert main(["sandbox", "reset", "--spec", str(spec)]) == 0
    assert main(["sandbox", "reset", "--spec", str(spec), "--older-than", "PT1H"]) == 0
    out = capsys.readouterr().out
    assert out.count("no sandbox due for a reset") == 2
    assert client.get(test_paths["project"], headers=account.test).status_code == 200

    assert main(["sandbox", "reset", "--spec", str(spec), "--older-than", "0"]) == 0
    out = capsys.readouterr().out
    assert f"reset {twin} (sandbox of {account.organization_id})" in out
    for table in ("projects", "workspaces", "environments", "variables", "webhook_endpoints"):
        assert f" {table}=1" in out, (table, out)

    for name, path in test_paths.items():
        if name in ("project environments", "variables of environment", "config", "deliveries"):
            continue  # sub-resources of a deleted project or environment: also 404 below
        assert client.get(path, headers=account.test).status_code == 404, name
    for path in LISTS:
        assert total(client, path, account.test) == 0, path
    for name, path in live_paths.items():
        assert client.get(path, headers=account.live).status_code == 200, name
    # The same sandbox lives on: same organisation id, usable at once.
    assert client.get("/v1/organizations", headers=account.test).json()["data"][0]["id"] == twin
    created(client.post("/v1/projects", json={"name": "again"}, headers=account.test))
    assert total(client, "/v1/projects", account.test) == 1


def test_cli_reset_refuses_a_bad_period(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("SPECWAY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("SPECWAY_SECRET_KEY", SECRET)
    assert main(["sandbox", "reset", "--older-than", "yesterday"]) == 2
    assert "ISO 8601" in capsys.readouterr().err
    # Without sandbox.reset_after in the spec a period must be given.
    assert main(["sandbox", "reset", "--spec", str(spec_with(tmp_path, {}))]) == 2
    assert "reset_after" in capsys.readouterr().err


def test_the_gateway_resets_sandboxes_past_reset_after(
    settings_factory: Callable[..., Any], tmp_path: Path
) -> None:
    spec = spec_with(tmp_path, {"sandbox": {"reset_after": 1}})
    app = create_app(
        spec, settings_factory(), plugin_config={"auth": {"sandbox_reset_interval": 0.05}}
    )
    with TestClient(app) as client:
        account = open_account(client)
        test_project = created(
            client.post("/v1/projects", json={"name": "t"}, headers=account.test)
        )
        live_project = created(
            client.post("/v1/projects", json={"name": "l"}, headers=account.live)
        )
        deadline = time.monotonic() + 30
        url = f"/v1/projects/{test_project['id']}"
        while client.get(url, headers=account.test).status_code == 200:
            assert time.monotonic() < deadline, "the sandbox was never reset"
            time.sleep(0.05)
        assert client.get(url, headers=account.test).status_code == 404
        live_url = f"/v1/projects/{live_project['id']}"
        assert client.get(live_url, headers=account.live).status_code == 200


def test_concurrent_first_uses_make_one_sandbox(database_url: str) -> None:
    async def scenario() -> tuple[list[str | None], int, int]:
        db = Database(database_url)
        try:
            await db.migrate()
            async with db.session() as session, session.begin():
                live = await accounts.create_organization(session, "Acme")
                live_id = live.id

            async def first_use() -> str | None:
                async with db.session() as session:
                    twin = await sandbox_organization_id(session, live_id)
                    await session.commit()
                    return twin

            twins = await asyncio.gather(*(first_use() for _ in range(4)))
            async with db.session() as session:
                orgs = (await session.execute(select(func.count(Organization.id)))).scalar_one()
                links = await session.execute(select(func.count()).select_from(SandboxLink))
                return list(twins), int(orgs), int(links.scalar_one())
        finally:
            await db.dispose()

    twins, organizations, links = asyncio.run(scenario())
    assert len(set(twins)) == 1
    assert twins[0] is not None
    assert (organizations, links) == (2, 1)  # the live one and exactly one twin
