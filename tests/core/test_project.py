"""A project outside the repository, found from its spec: in process, and ``specway serve`` from
its own folder and from another one; its ``handlers`` package always wins over the reference
API's package of the same name; what it can get wrong is one line and exit 2."""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from specway.app import create_app, load_spec, resolve_handlers
from specway.cli import main
from specway.errors import ConfigError
from specway.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SPEC = """\
openapi: 3.0.3
info: {title: Outside, version: 0.1.0}
x-specway-plugins: [request_id, errors]
paths:
  /v1/projects:
    get:
      operationId: listProjects
      tags: [Projects]
      summary: List projects
      responses:
        '200':
          description: The project's own answer.
          content:
            application/json:
              schema: {type: object}
"""
HANDLER = 'async def list_projects():\n    return {"served_by": "outside"}, 200\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """``tmp_path/outside``: a spec and a ``handlers`` package with ``projects.py``."""
    folder = tmp_path / "outside"
    (folder / "handlers").mkdir(parents=True)
    (folder / "openapi.yaml").write_text(SPEC)
    (folder / "handlers" / "__init__.py").write_text("")
    (folder / "handlers" / "projects.py").write_text(HANDLER)
    return folder


@pytest.fixture
def own_modules() -> Iterator[None]:
    """Put back the reference ``handlers`` modules and ``sys.path`` the test displaced.

    The reference package is imported first (as the rest of the suite does), so what the test
    displaces is put back as the same module objects.
    """
    importlib.import_module("handlers.projects")
    path = list(sys.path)
    saved = {n: m for n, m in sys.modules.items() if n == "handlers" or n.startswith("handlers.")}
    yield
    sys.path[:] = path
    for name in [n for n in sys.modules if n == "handlers" or n.startswith("handlers.")]:
        del sys.modules[name]
    sys.modules.update(saved)
    importlib.invalidate_caches()


def _env(project: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPECWAY_")}
    env["SPECWAY_DATABASE_URL"] = f"sqlite+aiosqlite:///{project.parent / 'serve.db'}"
    env["SPECWAY_SECRET_KEY"] = "project-test-secret-key-0123456789"
    return env


def _specway(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "specway", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_in_process_the_projects_handler_wins_over_the_reference_one(
    project: Path, own_modules: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = importlib.import_module("handlers.projects")  # the repo's, imported first
    assert Path(reference.__file__ or "").parent == ROOT / "handlers"
    monkeypatch.setenv("SPECWAY_SPEC_PATH", str(project / "openapi.yaml"))
    settings = Settings(
        spec_path=str(project / "openapi.yaml"),
        database_url=f"sqlite+aiosqlite:///{project.parent / 'app.db'}",
        secret_key="project-test-secret-key-0123456789",
    )
    with TestClient(create_app(settings=settings)) as client:
        response = client.get("/v1/projects")
    assert response.status_code == 200
    assert response.json() == {"served_by": "outside"}
    assert Path(sys.modules["handlers.projects"].__file__ or "") == project / "handlers/projects.py"

    # The reference project, again in this process: its own modules come back, not re-run.
    again = resolve_handlers(load_spec(ROOT / "openapi.yaml"))
    assert again["listProjects"] is reference.list_projects


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("where", ["its own folder", "another folder"])
def test_serve_finds_the_project_from_its_spec(project: Path, tmp_path: Path, where: str) -> None:
    port = _free_port()
    if where == "its own folder":
        cwd, args = project, ["serve", "--port", str(port)]  # ./openapi.yaml
    else:
        cwd, args = (
            tmp_path,
            ["serve", "--spec", str(project / "openapi.yaml"), "--port", str(port)],
        )
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "specway", *args],
        cwd=cwd,
        env=_env(project),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        response = None
        while response is None and proc.poll() is None and time.monotonic() < deadline:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/v1/projects", timeout=1)
            except httpx.TransportError:
                time.sleep(0.1)
        assert response is not None, (tmp_path / "serve.log").read_text()
        assert response.json() == {"served_by": "outside"}
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


def test_a_missing_handler_names_the_operation_module_and_folder(
    project: Path, own_modules: None
) -> None:
    spec = project / "openapi.yaml"
    spec.write_text(
        SPEC
        + """\
  /v1/projects/{id}:
    get:
      operationId: getProject
      tags: [Projects]
      summary: One project
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        '200': {description: The project.}
"""
    )
    # The reference package has get_project: finding it there would be the silent fallback.
    importlib.import_module("handlers.projects")
    with pytest.raises(ConfigError) as raised:
        create_app(spec, Settings(spec_path=str(spec), secret_key="x" * 32))
    message = str(raised.value)
    assert "'getProject'" in message
    assert "'handlers.projects'" in message
    assert str(project / "handlers" / "projects.py") in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("init", "expected"),
    [
        ("def broken(:\n", "SyntaxError"),
        ("import no_such_dependency_anywhere\n", "ModuleNotFoundError"),
    ],
)
def test_a_handlers_package_that_does_not_import_is_one_line(
    project: Path, tmp_path: Path, init: str, expected: str
) -> None:
    (project / "handlers" / "__init__.py").write_text(init)
    spec = str(project / "openapi.yaml")
    done = _specway("serve", "--spec", spec, cwd=tmp_path, env=_env(project))
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "handlers package 'handlers'" in lines[0]
    assert str(project / "handlers") in lines[0]
    assert expected in lines[0]
    if expected == "SyntaxError":
        assert "__init__.py, line 1" in lines[0]


@pytest.mark.parametrize(
    "command",
    [
        ["serve"],
        ["mock"],
        ["keys", "list"],
        ["codegen", "--check"],
        ["sandbox", "reset", "--all"],
        ["webhooks", "worker", "--once"],
        ["spec", "lint"],
    ],
)
def test_a_spec_that_does_not_exist_is_one_line_and_exit_2(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPECWAY_SPEC_PATH", raising=False)
    assert main(command) == 2
    assert capsys.readouterr().err == (
        "specway: spec not found: openapi.yaml (pass --spec or set SPECWAY_SPEC_PATH)\n"
    )
    monkeypatch.setenv("SPECWAY_SPEC_PATH", "elsewhere.yaml")
    assert main(command) == 2
    assert "spec not found: elsewhere.yaml" in capsys.readouterr().err
    missing = str(tmp_path / "nope.yaml")
    args = [*command, missing] if command[0] == "spec" else [*command, "--spec", missing]
    assert main(args) == 2
    assert f"spec not found: {missing} " in capsys.readouterr().err
