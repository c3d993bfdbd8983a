"""``specway init``: the files it writes, that their spec lints, and when it refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from specway.cli import main

FILES = {
    ".gitignore",
    "README.md",
    "openapi.yaml",
    "handlers/__init__.py",
    "handlers/notes.py",
    "handlers/tables.py",
    "migrations/versions/0001_notes.py",
    "tests/conftest.py",
    "tests/test_contract.py",
    "tests/test_notes.py",
}


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_init_writes_a_project_whose_spec_lints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "demo"
    assert main(["init", str(folder)]) == 0
    assert _files(folder) == FILES
    capsys.readouterr()
    assert main(["spec", "lint", str(folder / "openapi.yaml")]) == 0
    assert capsys.readouterr().out.endswith(": ok\n")
    spec = yaml.safe_load((folder / "openapi.yaml").read_text())
    assert spec["info"]["title"] == "demo"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/v1/notes"]["post"]["security"] == [{"bearerAuth": ["write"]}]
    assert spec["openapi"] == "3.1.0"
    assert set(spec["webhooks"]) == {"note.created"}
    assert spec["x-specway-pagination"]["style"] == "page"
    readme = (folder / "README.md").read_text()
    assert "specway serve" in readme
    assert "python -m pytest" in readme
    assert "{{" not in readme
    revision = (folder / "migrations/versions/0001_notes.py").read_text()
    assert 'revision = "0001"' in revision
    assert "down_revision = None" in revision


def test_name_sets_the_title(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path / "x"), "--name", "Book Shelf"]) == 0
    spec = yaml.safe_load((tmp_path / "x" / "openapi.yaml").read_text())
    assert spec["info"]["title"] == "Book Shelf"


def test_a_name_that_is_not_one_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path / "x"), "--name", "{{ evil }}"]) == 2
    assert capsys.readouterr().err.startswith("specway: --name: ")
    assert not (tmp_path / "x").exists()


def test_a_non_empty_folder_is_refused_unless_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "openapi.yaml").write_text("not a spec\n")
    assert main(["init", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err == f"specway: {folder} is not empty (pass --force to write the project into it)\n"
    assert _files(folder) == {"notes.txt", "openapi.yaml"}

    assert main(["init", str(folder), "--force"]) == 0
    assert _files(folder) == FILES | {"notes.txt"}
    assert (folder / "notes.txt").read_text() == "mine"  # not the template's: left alone
    assert (folder / "openapi.yaml").read_text().startswith("openapi: 3.1.0")


def test_the_projects_own_tests_pass_straight_after_init(tmp_path: Path) -> None:
    """The scaffold's pytest (in process + schemathesis), run from its folder as a user would."""
    folder = tmp_path / "demo"
    assert main(["init", str(folder)]) == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPECWAY_", "PYTEST_"))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
