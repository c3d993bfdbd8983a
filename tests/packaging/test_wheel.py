"""The wheel as a user gets it: built, installed (not editable) into a fresh virtualenv with the
``test`` extra at the lock's versions, then ``specway init`` and that project's own tests run
with the installed package, from a folder outside the repository."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "lock.txt"

pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, f"{args}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def test_wheel_installs_and_init_project_passes_its_tests(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
        "-w", dist, ".",
        cwd=ROOT,
    )  # fmt: skip
    (wheel,) = dist.glob("specway-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    (top_level,) = [n for n in names if n.endswith(".dist-info/top_level.txt")]
    assert zipfile.ZipFile(wheel).read(top_level).decode().split() == ["specway"]
    assert {n.split("/")[0] for n in names} == {"specway", top_level.split("/")[0]}
    assert not [n for n in names if n.startswith(("handlers/", "examples/", "tests/"))]
    assert "specway/scaffold/project/openapi.yaml.j2" in names

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python, specway = venv / "bin" / "python", venv / "bin" / "specway"
    _run(python, "-m", "pip", "install", "-q", "-c", LOCK, f"{wheel}[test]", cwd=tmp_path)
    where = _run(python, "-c", "import specway; print(specway.__file__)", cwd=tmp_path)
    assert Path(where.strip()).is_relative_to(venv)  # the installed copy, not the checkout

    assert "init" in _run(specway, "--help", cwd=tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    _run(specway, "init", "demo", cwd=work)
    assert _run(specway, "spec", "lint", cwd=work / "demo").strip() == "openapi.yaml: ok"
    out = _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=work / "demo")
    assert " passed" in out
    assert "failed" not in out

    # The platform parts ship in the wheel: the scaffold's include line, switched on, lints and
    # puts the operations into the installed copy's bundle.
    assert "specway/parts/api_keys/openapi.yaml" in names
    spec = work / "demo" / "openapi.yaml"
    spec.write_text(
        spec.read_text().replace(
            "# x-specway-include: [api-keys, webhooks]", "x-specway-include: [api-keys, webhooks]"
        )
    )
    assert _run(specway, "spec", "lint", cwd=work / "demo").strip() == "openapi.yaml: ok"
    bundle = _run(specway, "spec", "bundle", cwd=work / "demo")
    assert "/v1/api-keys:" in bundle
    assert "/v1/webhooks/{webhook_id}/rotate-secret:" in bundle
