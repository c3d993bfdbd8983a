"""Per-owner migrations: core, enabled plugins, project; a single-tree database is adopted."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, make_url

from specway.cli import main
from specway.spec import load_model
from specway.storage import legacy
from specway.storage.database import Database
from specway.storage.migrate import scripts, sources_for
from tests.conftest import REFERENCE_SPEC, write_variant

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"
# Values a later revision changes on purpose in the legacy fixture's rows: auth 0009 clears the
# plan of keys a caller created (the tier is the organisation's now).
CHANGED_ON_PURPOSE = {"api_keys": {"plan": "None"}}
VERSION_TABLES = ("alembic_version", "specway_version_")

BOOKS = '''
"""books

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "books",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("books")
'''

BOOK_MODEL = """
from sqlalchemy import String, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Book(Base):
    __tablename__ = "books"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    isbn: Mapped[str | None] = mapped_column(String(20))
    pinned: Mapped[bool] = mapped_column(server_default=false())
"""


def books_project(root: Path, *, plugins: str = "[request_id, errors]") -> Path:
    """A project of its own: a spec, a handlers package and one revision of its own."""
    (root / "handlers").mkdir(parents=True)
    (root / "handlers" / "__init__.py").write_text("")
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "migrations" / "versions" / "0001_books.py").write_text(BOOKS.lstrip())
    spec = root / "openapi.yaml"
    spec.write_text(
        textwrap.dedent(f"""\
            openapi: 3.0.3
            info: {{title: Books, version: "1.0"}}
            x-specway-plugins: {plugins}
            paths:
              /books:
                get:
                  operationId: listBooks
                  tags: [Books]
                  responses:
                    "200": {{description: the books}}
            """)
    )
    return spec


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def migrate(url: str, spec: Path) -> None:
    db = Database(url, timeout=5.0)
    try:
        await db.migrate(spec)
    finally:
        await db.dispose()


async def read(url: str, work: Any) -> Any:
    db = Database(url, timeout=5.0)
    try:
        async with db.engine.connect() as conn:
            return await conn.run_sync(work)
    finally:
        await db.dispose()


def tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def versions(connection: Connection) -> dict[str, set[str]]:
    """Every version table and the revisions it holds."""
    return {
        name: set(connection.execute(text(f"SELECT version_num FROM {name}")).scalars())
        for name in tables(connection)
        if name.startswith(VERSION_TABLES)
    }


def rows(connection: Connection) -> dict[str, list[dict[str, str]]]:
    """Every row of every data table (column -> value as text), by table, in a stable order."""
    found = {}
    for name in sorted(tables(connection)):
        if not name.startswith(VERSION_TABLES):
            result = connection.execute(text(f"SELECT * FROM {name}")).mappings()
            found[name] = sorted(({k: str(v) for k, v in r.items()} for r in result), key=repr)
    return found


def test_a_projects_own_revision_is_applied(database_url: str, tmp_path: Path) -> None:
    spec = books_project(tmp_path / "books")
    run(migrate(database_url, spec))
    found = run(read(database_url, tables))
    assert "books" in found
    # No plugin with tables is enabled: none of theirs exist, the core's history does.
    assert not found & {"organizations", "api_keys", "audit_logs", "webhook_endpoints"}
    assert run(read(database_url, versions)) == {
        "specway_version_core": set(),
        "alembic_version": {"0001"},
    }


def test_a_plugin_switched_off_creates_no_tables(database_url: str, tmp_path: Path) -> None:
    document = yaml.safe_load(REFERENCE_SPEC.read_text(encoding="utf-8"))
    document["x-specway-plugins"] = ["request_id", "errors", "auth", "ratelimit"]
    spec = write_variant(document, tmp_path)
    run(migrate(database_url, spec))
    found = run(read(database_url, tables))
    assert {"organizations", "api_keys", "sandboxes", "projects", "variables"} <= found
    assert not {name for name in found if name.startswith("webhook_")}
    assert not found & {"audit_logs", "project_metric_buckets", "project_log_lines"}
    assert set(run(read(database_url, versions))) == {
        "specway_version_core",
        "specway_version_auth",
        "alembic_version",
    }


def load_legacy(url: str, tmp_path: Path) -> None:
    """The database a single-tree release made (see tests/fixtures/legacy/make_dumps.py)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        dump = (LEGACY / "reference-8891328.sqlite.sql").read_text(encoding="utf-8")
        with sqlite3.connect(str(parsed.database)) as connection:
            connection.executescript(dump)
        return
    import asyncpg

    async def load() -> None:
        dump = (LEGACY / "reference-8891328.postgresql.sql").read_text(encoding="utf-8")
        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn, timeout=5)
        try:
            await connection.execute(dump)
        finally:
            await connection.close()

    run(load())


def test_an_old_reference_database_upgrades_and_keeps_its_rows(
    database_url: str, tmp_path: Path
) -> None:
    load_legacy(database_url, tmp_path)
    before = run(read(database_url, rows))
    for table in ("projects", "organizations", "api_keys", "webhook_endpoints", "variables"):
        assert before[table], table
    assert before["audit_logs"]
    assert run(read(database_url, versions)) == {
        "alembic_version": {"0002", "0003", "0004", "0005", "0006"}
        | {"0007_sandbox", "0008_projects_page_index"}
    }

    run(migrate(database_url, REFERENCE_SPEC))

    after = run(read(database_url, rows))
    assert set(after) >= set(before)
    for table, old_rows in before.items():
        # Every old row keeps its values, but for what a later revision changes on purpose; a
        # later revision may also add columns.
        expected = [{**row, **CHANGED_ON_PURPOSE.get(table, {})} for row in old_rows]
        assert [{k: row[k] for k in old_rows[0]} for row in after[table]] == expected, table
    model = load_model(REFERENCE_SPEC)
    heads = {s.version_table: set(scripts(s).get_heads()) for s in sources_for(model)}
    assert run(read(database_url, versions)) == heads
    assert heads["alembic_version"] == {"0005", "0011_resource_samples", "0008_projects_page_index"}
    assert heads["specway_version_project_metrics"] == {"0006_project_metrics"}

    # A second upgrade finds every owner at its heads: not one statement changes the schema.
    statements: list[str] = []

    async def again() -> None:
        db = Database(database_url, timeout=5.0)
        event.listen(
            db.engine.sync_engine,
            "before_cursor_execute",
            lambda *args: statements.append(str(args[2]).lstrip().split()[0].upper()),
        )
        try:
            await db.migrate(REFERENCE_SPEC)
        finally:
            await db.dispose()

    run(again())
    assert statements
    assert not {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE"} & set(statements)
    assert run(read(database_url, rows)) == after


def test_adoption_of_a_database_with_only_some_owners(tmp_path: Path) -> None:
    """An older single-tree database (auth and webhooks only): the project is left at 0001."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.executemany("INSERT INTO alembic_version VALUES (?)", [("0002",), ("0003",)])
    url = f"sqlite+aiosqlite:///{path}"

    def adopt(connection: Connection) -> dict[str, str]:
        adopted = legacy.adopt(connection)
        connection.commit()
        return adopted

    assert run(read(url, adopt)) == {"auth": "0002", "webhooks": "0003"}
    assert run(read(url, versions)) == {
        "alembic_version": {"0001"},
        "specway_version_auth": {"0002"},
        "specway_version_webhooks": {"0003"},
    }
    assert run(read(url, adopt)) == {}


BROKEN = {
    "syntax": ('revision = "0002"\ndown_revision = "0001"\ndef upgrade(:\n', "SyntaxError"),
    "unknown down_revision": (
        'revision = "0002"\ndown_revision = "0000"\n\ndef upgrade() -> None:\n    pass\n',
        "names down_revision '0000'",
    ),
    "import error": ("import no_such_module\n", "No module named 'no_such_module'"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_revision_is_one_line_and_exit_2(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = books_project(tmp_path / "books")
    broken = tmp_path / "books" / "migrations" / "versions" / "0002_broken.py"
    source, expected = BROKEN[case]
    broken.write_text(source)
    monkeypatch.setenv("SPECWAY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    assert main(["db", "upgrade", "--spec", str(spec)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert expected in err
    assert err.startswith("specway: project migrations (")
    if case != "unknown down_revision":
        assert str(broken) in err
    # Nothing was applied: the check runs before any owner is migrated.
    assert not (tmp_path / "db.sqlite").exists() or "books" not in run(
        read(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", tables)
    )


def test_a_missing_declared_folder_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = books_project(tmp_path / "books")
    spec.write_text(spec.read_text() + "x-specway-migrations: [db/migrations]\n")
    monkeypatch.setenv("SPECWAY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    assert main(["db", "upgrade", "--spec", str(spec)]) == 2
    err = capsys.readouterr().err
    missing = tmp_path / "books" / "db" / "migrations"
    assert err == (
        f"specway: {spec}: x-specway-migrations: no folder {missing}"
        " (paths are relative to the spec's folder)\n"
    )


def test_db_revision_writes_a_file_that_db_upgrade_applies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = books_project(tmp_path / "books")
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("SPECWAY_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path / "books")
    assert main(["db", "upgrade", "--spec", str(spec)]) == 0
    # Autogenerate imports the project's handlers: in a process of its own, so the reference
    # API's ``handlers`` package of this test process stays as it is.
    (tmp_path / "books" / "handlers" / "models.py").write_text(BOOK_MODEL.lstrip())
    env = {**os.environ, "SPECWAY_DATABASE_URL": url, "SPECWAY_SPEC_PATH": str(spec)}
    done = subprocess.run(
        [sys.executable, "-m", "specway", "db", "revision", "-m", "isbn", "--autogenerate"],
        cwd=tmp_path / "books",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    written = [p for p in (tmp_path / "books" / "migrations" / "versions").glob("*_isbn.py")]
    assert len(written) == 1
    assert done.stdout == f"wrote migrations/versions/{written[0].name}\n"
    body = written[0].read_text()
    assert "down_revision = '0001'" in body
    assert "add_column(sa.Column('isbn'" in body
    # Written portably, not in SQLite's spelling (sa.text('0'), refused by PostgreSQL).
    assert "server_default=sa.false()" in body, body
    assert "drop_table" not in body.split("def downgrade")[0]  # framework tables: untouched

    capsys.readouterr()
    assert main(["db", "upgrade", "--spec", str(spec)]) == 0
    revision = written[0].name.split("_")[0]
    assert capsys.readouterr().out.splitlines()[1:] == [
        "core     (none)  (no revisions)",
        f"project  {revision}  (head)",
    ]

    def columns(connection: Connection) -> list[str]:
        return [c["name"] for c in inspect(connection).get_columns("books")]

    assert run(read(url, columns)) == ["id", "title", "isbn", "pinned"]

    # Without --autogenerate: an empty revision after the new head, in-process.
    assert main(["db", "revision", "-m", "by hand", "--rev-id", "0003", "--spec", str(spec)]) == 0
    by_hand = tmp_path / "books" / "migrations" / "versions" / "0003_by_hand.py"
    assert f"down_revision = '{revision}'" in by_hand.read_text()
    assert main(["db", "upgrade", "--spec", str(spec)]) == 0
    assert run(read(url, versions))["alembic_version"] == {"0003"}


def test_the_first_revision_makes_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "openapi.yaml"
    books_project(tmp_path / "other")
    spec.write_text((tmp_path / "other" / "openapi.yaml").read_text())
    monkeypatch.setenv("SPECWAY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.chdir(tmp_path)
    assert main(["db", "revision", "-m", "first", "--rev-id", "0001", "--spec", str(spec)]) == 0
    first = tmp_path / "migrations" / "versions" / "0001_first.py"
    assert "down_revision = None" in first.read_text()


def test_the_reference_models_match_the_reference_migrations(
    database_url: str, tmp_path: Path
) -> None:
    # `specway db revision --autogenerate` right after the reference project's migrations
    # proposes nothing (a model missing an index its migrations made showed as a drop_index).
    # In a process of its own on a copy of the project, as a user runs it: this test process
    # has imported other modules under the repository's root that define tables.
    project = tmp_path / "reference"
    project.mkdir()
    shutil.copy(REFERENCE_SPEC, project / "openapi.yaml")
    for folder in ("handlers", "migrations"):
        shutil.copytree(
            REFERENCE_SPEC.parent / folder,
            project / folder,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    env = {
        **os.environ,
        "SPECWAY_DATABASE_URL": database_url,
        "SPECWAY_SECRET_KEY": "test-secret-key-0123456789abcdef",
        "SPECWAY_SPEC_PATH": str(project / "openapi.yaml"),
    }
    for argv in (["db", "upgrade"], ["db", "revision", "-m", "check", "--autogenerate"]):
        done = subprocess.run(
            [sys.executable, "-m", "specway", *argv],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    (written,) = (project / "migrations" / "versions").glob("*_check.py")
    upgrade = written.read_text().split("def upgrade() -> None:")[1].split("def downgrade")[0]
    assert [
        line.strip() for line in upgrade.strip().splitlines() if not line.strip().startswith("#")
    ] == ["pass"], upgrade
