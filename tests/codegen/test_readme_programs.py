"""Each SDK's README opens with the same program: create, list across pages, a typed 404.

The program is read from the committed README (``sdk/<language>/README.md``) and run as
written against a live ``specway serve`` (key and base URL from the environment), so what the
READMEs show is what works. Go and Node tests skip with a reason where the tool is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from specway.codegen import load_ir
from specway.codegen.quickstart import quickstart
from tests.codegen.go.go_support import go_env
from tests.codegen.sdk_python.conftest import SERVER_ENV, mint_key
from tests.codegen.typescript.ts_support import TOOLS
from tests.contract.conftest import serving

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk"
EXPECTED = re.compile(r"^listed (\d+)\nnot found, request id req_\w+\n$")


def program(language: str, fence: str) -> str:
    """The first ``fence`` code block of ``sdk/<language>/README.md``."""
    text = (SDK / language / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"```{fence}\n(.*?)```", text, re.S)
    assert found, f"sdk/{language}/README.md has no {fence} block"
    return found.group(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    workdir = tmp_path_factory.mktemp("readme-programs")
    with serving(workdir, SERVER_ENV) as base:
        yield {"SPECWAY_BASE_URL": base, "SPECWAY_API_KEY": mint_key(workdir)}


def listed(out: subprocess.CompletedProcess[str]) -> int:
    assert out.returncode == 0, out.stdout + out.stderr
    match = EXPECTED.match(out.stdout)
    assert match, out.stdout
    return int(match.group(1))


def test_the_three_programs_do_the_same_three_things() -> None:
    plan = quickstart(load_ir(ROOT / "openapi.yaml"))
    assert plan is not None
    assert (plan.create.operation_id, plan.list.operation_id, plan.get.operation_id) == (
        "createProject",
        "listProjects",
        "getProject",
    )
    calls = {
        "python": ("client.projects.create(", "client.projects.list(per_page=2)", 'get("'),
        "typescript": ("client.projects.create(", "client.projects.list({ per_page: 2 })", 'get("'),
        "go": ("client.Projects.Create(", "client.Projects.ListAutoPaging(ctx,", 'Get(ctx, "'),
    }
    for language, fence in (("python", "python"), ("typescript", "ts"), ("go", "go")):
        text = program(language, fence)
        for call in calls[language]:
            assert call in text, (language, call)


def test_the_readme_programs_run(server: dict[str, str], tmp_path: Path) -> None:
    env = {**os.environ, **server}
    # Python: as written, with the committed package importable.
    (tmp_path / "readme.py").write_text(program("python", "python"))
    counts = [
        listed(
            subprocess.run(
                [sys.executable, "readme.py"],
                cwd=tmp_path,
                env={**env, "PYTHONPATH": str(SDK / "python")},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        )
    ]
    # TypeScript: compiled with the pinned tsc, the program's import pointed at the build.
    node, tsc = shutil.which("node"), TOOLS / "node_modules" / "typescript" / "bin" / "tsc"
    if node is not None and tsc.exists():
        build = tmp_path / "ts"
        shutil.copytree(SDK / "typescript", build)
        subprocess.run([node, str(tsc), "-p", str(build)], check=True, timeout=180)
        source = program("typescript", "ts").replace(
            '"specway-client"', f'"{(build / "dist" / "index.js").as_uri()}"'
        )
        (tmp_path / "readme.mjs").write_text(source)
        run = subprocess.run(
            [node, "readme.mjs"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        counts.append(listed(run))
    # Go: a module using sdk/go in place.
    go = shutil.which("go")
    if go is not None:
        module = (SDK / "go" / "go.mod").read_text().split("module ", 1)[1].split()[0]
        (tmp_path / "go").mkdir()
        (tmp_path / "go" / "go.mod").write_text(
            f"module readme\n\ngo 1.19\n\nrequire {module} v0.0.0\n\n"
            f"replace {module} => {SDK / 'go'}\n"
        )
        (tmp_path / "go" / "main.go").write_text(program("go", "go"))
        run = subprocess.run(
            [go, "run", "."],
            cwd=tmp_path / "go",
            env={**go_env(), **server},
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        counts.append(listed(run))
    # Each run created one project and listed them all, two a page.
    assert counts == list(range(1, len(counts) + 1)), counts
    if node is None or go is None or not tsc.exists():
        pytest.skip(f"ran {len(counts)} of 3 programs: node, tsc or go is missing")
