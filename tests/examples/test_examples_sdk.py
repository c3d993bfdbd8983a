"""Every example's generated SDKs type-check: Python under ``mypy --strict`` (and ruff),
TypeScript under the pinned ``tsc --strict``, Go under ``gofmt``, ``go vet`` and its own
``go test`` (skipped with the reason where ``go`` is missing).

``specway codegen python|typescript|go --spec examples/<name>/openapi.yaml`` into a temporary
directory, exactly as a user of that product would generate it. Examples are discovered from
``examples/*/openapi.yaml``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from specway.cli import main
from specway.codegen import load_ir
from tests.codegen.go.go_support import go_env
from tests.examples.support import example_names, example_spec

BIN = Path(sys.executable).parent
TOOLS = Path(__file__).resolve().parents[2] / "tools" / "ts"


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, check=False, timeout=600
    )


@pytest.mark.parametrize("name", example_names())
def test_python_sdk_passes_mypy_strict_and_ruff(name: str, tmp_path: Path) -> None:
    spec = example_spec(name)
    assert main(["codegen", "python", "--spec", str(spec), "--out", str(tmp_path)]) == 0
    package = load_ir(spec).sdk.python_package
    assert (tmp_path / package / "py.typed").is_file()
    ruff = run([str(BIN / "ruff"), "check", "--config", "pyproject.toml", "."], tmp_path)
    assert ruff.returncode == 0, ruff.stdout
    strict = ["--strict", "--config-file", "pyproject.toml", "--no-incremental"]
    mypy = run([str(BIN / "mypy"), *strict, package], tmp_path)
    assert mypy.returncode == 0, mypy.stdout


@pytest.fixture(scope="module")
def tsc() -> tuple[str, Path]:
    """Node and the pinned compiler from tools/ts (``npm ci`` there when missing)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the TypeScript SDK check needs Node >= 20")
    compiler = TOOLS / "node_modules" / "typescript" / "bin" / "tsc"
    if not compiler.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is missing: install tools/ts with `npm ci --prefix tools/ts`")
        done = run([npm, "ci", "--no-audit", "--no-fund"], TOOLS)
        assert done.returncode == 0, done.stderr
    return node, compiler


@pytest.mark.parametrize("name", example_names())
def test_typescript_sdk_passes_tsc_strict(name: str, tsc: tuple[str, Path], tmp_path: Path) -> None:
    spec = example_spec(name)
    assert main(["codegen", "typescript", "--spec", str(spec), "--out", str(tmp_path)]) == 0
    node, compiler = tsc
    for config in ("tsconfig.json", "tsconfig.cjs.json"):  # the ESM and the CommonJS builds
        checked = run([node, str(compiler), "-p", config, "--noEmit"], tmp_path)
        assert checked.returncode == 0, config + "\n" + checked.stdout


@pytest.fixture(scope="module")
def go() -> str:
    path = shutil.which("go")
    if path is None:
        pytest.skip(
            "go is not installed: the Go SDK check needs Go >= 1.19 (apt-get install golang-go)"
        )
    return path


@pytest.mark.parametrize("name", example_names())
def test_go_sdk_is_gofmt_clean_vets_and_passes_go_test(name: str, go: str, tmp_path: Path) -> None:
    spec = example_spec(name)
    assert main(["codegen", "go", "--spec", str(spec), "--out", str(tmp_path)]) == 0
    gofmt = str(Path(go).resolve().parent / "gofmt")
    listed = run([gofmt, "-l", "."], tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == "", f"not gofmt-clean: {listed.stdout}"
    for command in (["vet", "./..."], ["test", "-count=1", "./..."]):
        done = subprocess.run(
            [go, *command],
            cwd=tmp_path,
            env=go_env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
