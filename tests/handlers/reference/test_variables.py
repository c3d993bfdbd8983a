"""Variables: CRUD, key rules, uniqueness, secrecy of values, encryption at rest."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from handlers.models_platform import Variable
from specway.crypto import DecryptionError, SecretBox
from specway.storage.database import Database

from .helpers import as_org, make_environment, make_project, make_variable

SECRET = "sk_live_abcd1234567890"


def stored_rows(database_url: str) -> list[Variable]:
    async def read() -> list[Variable]:
        db = Database(database_url)
        try:
            async with db.session() as session:
                return list((await session.execute(select(Variable))).scalars())
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_variable_crud_as_in_the_seed(platform: TestClient) -> None:
    env = make_environment(platform, make_project(platform))
    created = platform.post(
        "/v1/variables", json={"key": "API_KEY", "value": SECRET, "environment": env["id"]}
    )
    assert created.status_code == 201, created.text
    variable = created.json()
    assert variable["id"].startswith("var_")
    assert created.headers["location"] == f"/v1/variables/{variable['id']}"
    assert variable["decrypted_value"] == SECRET
    assert (variable["environment"], variable["environment_name"]) == (env["id"], "production")
    assert "value" not in variable

    assert platform.get(f"/v1/variables/{variable['id']}").json() == variable

    patched = platform.patch(f"/v1/variables/{variable['id']}", json={"value": "new_secret_value"})
    assert patched.status_code == 200
    assert patched.json()["decrypted_value"] == "new_secret_value"
    renamed = platform.patch(f"/v1/variables/{variable['id']}", json={"key": "STRIPE_KEY"})
    assert renamed.json()["key"] == "STRIPE_KEY"
    assert renamed.json()["decrypted_value"] == "new_secret_value"

    assert platform.delete(f"/v1/variables/{variable['id']}").status_code == 204
    assert platform.get(f"/v1/variables/{variable['id']}").status_code == 404
    assert platform.delete(f"/v1/variables/{variable['id']}").status_code == 404


def test_list_sorts_by_key_and_searches(platform: TestClient) -> None:
    env = make_environment(platform, make_project(platform))
    for key in ("JWT_SECRET", "API_KEY", "DATABASE_URL"):
        make_variable(platform, env["id"], key, f"value of {key}")
    listed = platform.get(f"/v1/environments/{env['id']}/variables").json()
    assert [v["key"] for v in listed["data"]] == ["API_KEY", "DATABASE_URL", "JWT_SECRET"]
    assert listed["data"][0]["decrypted_value"] == "value of API_KEY"
    desc = platform.get(
        f"/v1/environments/{env['id']}/variables", params={"order": "desc", "per_page": 2}
    ).json()
    assert [v["key"] for v in desc["data"]] == ["JWT_SECRET", "DATABASE_URL"]
    assert desc["pagination"] == {"page": 1, "per_page": 2, "total": 3, "pages": 2}
    found = platform.get(f"/v1/environments/{env['id']}/variables", params={"search": "url"})
    assert [v["key"] for v in found.json()["data"]] == ["DATABASE_URL"]
    assert platform.get("/v1/environments/env_nothere/variables").status_code == 404


def test_keys_are_checked_and_unique_per_environment(platform: TestClient) -> None:
    project_id = make_project(platform)
    env = make_environment(platform, project_id)
    other = make_environment(platform, project_id, name="staging")
    make_variable(platform, env["id"], "API_KEY", "1")
    make_variable(platform, other["id"], "API_KEY", "2")  # another environment: fine
    duplicate = platform.post(
        "/v1/variables", json={"key": "API_KEY", "value": "3", "environment": env["id"]}
    )
    assert duplicate.status_code == 409
    assert "API_KEY" in duplicate.json()["error"]["message"]

    invalid = platform.post(
        "/v1/variables", json={"key": "1-BAD KEY", "value": "x", "environment": env["id"]}
    )
    assert invalid.status_code == 400
    detail = invalid.json()["error"]["details"][0]
    assert detail["field"] == "key"
    assert "1-BAD KEY" in detail["reason"]

    second = make_variable(platform, env["id"], "OTHER", "x")
    clash = platform.patch(f"/v1/variables/{second['id']}", json={"key": "API_KEY"})
    assert clash.status_code == 409
    assert platform.patch(f"/v1/variables/{second['id']}", json={"key": "9"}).status_code == 400
    missing_env = platform.post(
        "/v1/variables", json={"key": "A", "value": "x", "environment": "env_nothere"}
    )
    assert missing_env.status_code == 404


def test_values_never_echoed_in_errors_or_logs(
    platform: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    env = make_environment(platform, make_project(platform))
    marker = "hunter2-SECRET-marker"
    too_long = platform.post(
        "/v1/variables",
        json={"key": "BIG", "value": marker * 5000, "environment": env["id"]},
    )
    assert too_long.status_code == 400
    not_text = platform.post(
        "/v1/variables", json={"key": "N", "value": 424242424242, "environment": env["id"]}
    )
    assert not_text.status_code == 400
    variable = make_variable(platform, env["id"], "PASSWORD", marker)
    clash = platform.post(
        "/v1/variables", json={"key": "PASSWORD", "value": marker, "environment": env["id"]}
    )
    assert clash.status_code == 409
    for response in (too_long, not_text, clash):
        assert marker not in response.text
        assert "424242424242" not in response.text
    platform.patch(f"/v1/variables/{variable['id']}", json={"value": marker + "2"})
    platform.delete(f"/v1/variables/{variable['id']}")
    assert marker not in caplog.text


def test_decrypted_value_only_for_readers(platform: TestClient) -> None:
    project_id = make_project(platform, org="org_a")
    env = make_environment(platform, project_id, org="org_a")
    writer = as_org("org_a", scopes="write")
    created = platform.post(
        "/v1/variables",
        json={"key": "API_KEY", "value": SECRET, "environment": env["id"]},
        headers=writer,
    )
    assert created.status_code == 201
    assert created.json()["decrypted_value"] is None
    assert SECRET not in created.text
    reader = platform.get(f"/v1/variables/{created.json()['id']}", headers=as_org("org_a", "read"))
    assert reader.json()["decrypted_value"] == SECRET
    listed = platform.get(f"/v1/environments/{env['id']}/variables", headers=writer)
    assert listed.json()["data"][0]["decrypted_value"] is None


def test_values_are_encrypted_at_rest(
    platform_factory: Callable[..., TestClient], database_url: str
) -> None:
    platform = platform_factory(database_url=database_url, secret_key="the-right-key-0123456789")
    env = make_environment(platform, make_project(platform))
    first = make_variable(platform, env["id"], "DATABASE_URL", "postgresql://user:pw@host/db")
    second = make_variable(platform, env["id"], "SAME", "postgresql://user:pw@host/db")

    rows = {row.id: row for row in stored_rows(database_url)}
    token = rows[first["id"]].value_ciphertext
    assert "pw@host" not in token
    assert "postgresql" not in token
    # Same value, different rows: different ciphertexts (fresh nonce, row id bound in).
    assert token != rows[second["id"]].value_ciphertext

    right = SecretBox(["the-right-key-0123456789"])
    assert rows[first["id"]].key_id == right.current_key_id
    assert right.open(token, first["id"]) == "postgresql://user:pw@host/db"
    with pytest.raises(DecryptionError):
        SecretBox(["a-wrong-key-0123456789"]).open(token, first["id"])
    with pytest.raises(DecryptionError):  # moved onto another row: does not open
        right.open(token, second["id"])
