"""Fixtures of the TypeScript SDK tests: Node, the pinned ``tsc`` and the compiled SDK."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ts_support import SDK, TOOLS, run


@pytest.fixture(scope="session")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.skip("node is not installed: the TypeScript SDK tests need Node >= 20")
    return path


@pytest.fixture(scope="session")
def tsc(node: str) -> Path:
    """The pinned compiler from tools/ts (``npm ci`` there when it is not installed yet)."""
    compiler = TOOLS / "node_modules" / "typescript" / "bin" / "tsc"
    if not compiler.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is missing: install tools/ts with `npm ci --prefix tools/ts`")
        run([npm, "ci", "--no-audit", "--no-fund"], cwd=TOOLS, timeout=300)
    return compiler


@pytest.fixture(scope="session")
def compiled_sdk(node: str, tsc: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``sdk/typescript`` built with its own tsconfig; returns ``dist/index.js``."""
    build = tmp_path_factory.mktemp("sdk-ts") / "sdk"
    shutil.copytree(SDK, build)
    run([node, str(tsc), "-p", str(build / "tsconfig.json")])
    index = build / "dist" / "index.js"
    assert index.exists(), sorted(p.name for p in (build / "dist").iterdir())
    return index
