"""A third-party plugin's own tables: its ``migrations`` folder, applied when it is enabled."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import yaml
from starlette.testclient import TestClient

from specway.app import create_app
from specway.settings import Settings
from tests.plugins.third_party.support import SitePackages

PLUGIN = """
from pathlib import Path

from specway.plugins.api import AppBuilder, SpecwayPlugin


class Plugin(SpecwayPlugin):
    name = "notes"
    migrations = Path(__file__).with_name(__name__ + "_migrations")

    def install(self, builder: AppBuilder) -> None:
        pass
"""

REVISION = '''"""notes

Revision ID: n0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "n0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("plugin_notes", sa.Column("id", sa.String(40), primary_key=True))


def downgrade() -> None:
    op.drop_table("plugin_notes")
'''


def app_with(
    plugins: list[str], tmp_path: Path, settings_factory: Callable[..., Settings]
) -> tuple[TestClient, Path]:
    spec = tmp_path / "openapi.yaml"
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Notes", "version": "1"},
        "x-specway-plugins": plugins,
        "paths": {},
    }
    spec.write_text(yaml.safe_dump(document), encoding="utf-8")
    database = tmp_path / "notes.db"
    settings = settings_factory(database_url=f"sqlite+aiosqlite:///{database}")
    return TestClient(create_app(spec, settings, handlers={})), database


def tables(database: Path) -> set[str]:
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


def test_an_enabled_plugin_gets_its_tables(
    site: SitePackages, tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    module = site.add("notes", PLUGIN)
    folder = site.root / f"{module}_migrations"
    folder.mkdir()
    (folder / "n0001_notes.py").write_text(REVISION, encoding="utf-8")

    client, database = app_with(["request_id", "errors"], tmp_path, settings_factory)
    with client:
        pass
    assert "plugin_notes" not in tables(database)

    client, database = app_with(["request_id", "errors", "notes"], tmp_path, settings_factory)
    with client:
        pass
    assert {"plugin_notes", "specway_version_notes"} <= tables(database)
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT version_num FROM specway_version_notes").fetchall() == [
            ("n0001",)
        ]
