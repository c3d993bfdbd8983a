"""``specway codegen``: the committed docs are fresh, staleness is listed, templates override."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from specway.cli import main
from tests.codegen.conftest import FIXTURES, ROOT


def test_committed_reference_docs_are_fresh(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["codegen", "--check", "--spec", str(ROOT / "openapi.yaml"), "--root", str(ROOT)])
    assert rc == 0, capsys.readouterr().err + "\nrun `specway codegen` and commit docs/reference"


def test_check_lists_each_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = FIXTURES / "minimal" / "openapi.yaml"
    assert main(["codegen", "--spec", str(spec), "--root", str(tmp_path)]) == 0
    assert main(["codegen", "--check", "--spec", str(spec), "--root", str(tmp_path)]) == 0
    reference = tmp_path / "docs" / "reference"
    (reference / "README.md").write_text("edited by hand\n")
    (reference / "models.md").unlink()
    (reference / "extra.md").write_text("left over\n")
    capsys.readouterr()
    assert main(["codegen", "--check", "--spec", str(spec), "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    for name in ("README.md", "models.md", "extra.md"):
        assert f"stale: docs/reference/{name}" in err
    assert "default.md" not in err


def test_user_templates_override_by_name(tmp_path: Path) -> None:
    spec = FIXTURES / "minimal" / "openapi.yaml"
    templates = tmp_path / "templates"
    templates.mkdir()
    shutil.copy(ROOT / "specway" / "codegen" / "templates" / "docs" / "_macros.md.j2", templates)
    (templates / "models.md.j2").write_text(
        "<!-- {{ GENERATED }} -->\n# Our models\n"
        "{% for s in ir.schemas %}- {{ s.model }}\n{% endfor %}"
    )
    out = tmp_path / "out"
    rc = main(
        ["codegen", "docs", "--spec", str(spec), "--out", str(out), "--templates", str(templates)]
    )
    assert rc == 0
    assert (out / "models.md").read_text().splitlines()[1] == "# Our models"
    assert "# Minimal — API reference" in (out / "README.md").read_text()
