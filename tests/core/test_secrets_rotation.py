"""``specway secrets rotate-key``: every value stays readable after moving to a new key."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from handlers.models_platform import Variable
from handlers.runtime import Actor
from handlers.services.environments import EnvironmentStore
from handlers.services.projects import ProjectStore
from handlers.services.variables import VariableStore
from specway.cli import main
from specway.crypto import SecretBox
from specway.storage.database import Database
from specway.storage.rotation import SealedColumn, rotate_all

OLD, NEW = "old-secret-key-0123456789abcdef", "new-secret-key-0123456789abcdef"
VALUES = {f"KEY_{i}": f"value {i} ✓ with spaces # and = signs" for i in range(7)}


def seed_values(
    app_factory: Callable[..., TestClient], auth_factory: Callable[..., Any], database_url: str
) -> str:
    client = app_factory(database_url=database_url, secret_key=OLD)
    identity = auth_factory(client)
    created = client.post("/v1/projects", json={"name": "p"}, headers=identity.headers)
    project = created.json()["id"]

    # Through the stores: the HTTP operations are behind bearerAuth (the auth plugin).
    async def create() -> str:
        db = Database(database_url)
        try:
            actor = Actor(organization_id=identity.organization_id)
            project_record = await ProjectStore(db).get(actor.organization_id, project)
            env = await EnvironmentStore(db).create_in(
                actor, project_record, {"name": "production"}
            )
            store = VariableStore(db, None, actor, SecretBox([OLD]))
            for key, value in VALUES.items():
                await store.create_in(env, {"key": key, "value": value})
            return str(env["id"])
        finally:
            await db.dispose()

    return asyncio.run(create())


def stored(database_url: str) -> list[Variable]:
    async def read() -> list[Variable]:
        db = Database(database_url)
        try:
            async with db.session() as session:
                return list((await session.execute(select(Variable))).scalars())
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_rotation_keeps_every_value_readable(
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., Any],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_values(app_factory, auth_factory, database_url)
    old_id, new_id = SecretBox([OLD]).current_key_id, SecretBox([NEW]).current_key_id
    assert {row.key_id for row in stored(database_url)} == {old_id}

    monkeypatch.setenv("SPECWAY_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECWAY_SECRET_KEY", NEW)
    monkeypatch.setenv("SPECWAY_PREVIOUS_SECRET_KEYS", OLD)
    assert main(["secrets", "rotate-key", "--dry-run"]) == 0
    assert "would re-encrypt 7" in capsys.readouterr().out
    assert {row.key_id for row in stored(database_url)} == {old_id}

    assert main(["secrets", "rotate-key", "--batch-size", "3"]) == 0
    out = capsys.readouterr().out
    assert f"variables.value_ciphertext: 7 values, re-encrypted 7 with key {new_id}" in out
    rows = stored(database_url)
    assert {row.key_id for row in rows} == {new_id}
    only_new = SecretBox([NEW])
    assert {row.key: only_new.open(row.value_ciphertext, row.id) for row in rows} == VALUES
    for value in VALUES.values():
        assert value not in out

    # Idempotent: a second run has nothing to do.
    assert main(["secrets", "rotate-key"]) == 0
    assert "re-encrypted 0" in capsys.readouterr().out


def test_values_no_key_opens_are_reported_not_lost(
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., Any],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_values(app_factory, auth_factory, database_url)
    monkeypatch.setenv("SPECWAY_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECWAY_SECRET_KEY", NEW)  # the old key is missing
    monkeypatch.delenv("SPECWAY_PREVIOUS_SECRET_KEYS", raising=False)
    assert main(["secrets", "rotate-key"]) == 1
    out = capsys.readouterr().out
    assert "7 unreadable" in out
    assert "SPECWAY_PREVIOUS_SECRET_KEYS" in out
    for value in VALUES.values():
        assert value not in out
    old_box = SecretBox([OLD])
    assert {
        row.key: old_box.open(row.value_ciphertext, row.id) for row in stored(database_url)
    } == (VALUES)


def test_a_missing_table_is_skipped(tmp_path: Path) -> None:
    async def run() -> bool:
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/empty.db")
        try:
            reports = await rotate_all(db, SecretBox([NEW]), [SealedColumn("nothing", "value")])
            return reports[0].present
        finally:
            await db.dispose()

    assert asyncio.run(run()) is False
