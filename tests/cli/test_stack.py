"""``specway stack``: the reference API's layer order is pinned, and the README shows it.

Regenerate the golden file after an intended change of the stack (review the diff):

    .venv/bin/python -m specway stack --spec openapi.yaml > tests/fixtures/stack/reference.txt

then paste it into README.md's "How a request flows" block.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from specway.builder import AppBuilder
from specway.cli import main
from specway.stages import Stage
from specway.types import ASGIApp, Receive, Scope, Send

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "openapi.yaml"
GOLDEN = ROOT / "tests" / "fixtures" / "stack" / "reference.txt"


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stack depends on settings (``SPECWAY_ACCESS_LOG``): run with the defaults."""
    for name in list(os.environ):
        if name.startswith("SPECWAY_"):
            monkeypatch.delenv(name)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_reference_stack_is_the_golden_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "stack", "--spec", str(REFERENCE))
    assert code == 0
    assert out == GOLDEN.read_text(encoding="utf-8"), (
        "the stack changed: regenerate tests/fixtures/stack/reference.txt (module docstring)"
    )


def test_readme_block_is_the_stack() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"## How a request flows\n.*?```text\n(.*?)```", readme, re.S)
    assert found is not None, "README.md lost its 'How a request flows' section"
    assert found.group(1) == GOLDEN.read_text(encoding="utf-8")


def test_layers_are_numbered_and_owned(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "stack", "--spec", str(REFERENCE))
    lines = out.splitlines()
    assert [int(line.split(".", 1)[0]) for line in lines] == list(range(1, len(lines) + 1))
    owners = {line.split(" — ", 1)[1].split(" (", 1)[0] for line in lines}
    assert {"request_id", "errors", "auth", "ratelimit", "connexion", "specway"} <= owners
    # The handler call is last; request ids are outermost.
    assert lines[0].endswith("RequestIdMiddleware — request_id")
    assert lines[-1].endswith("CompiledASGIApp — specway")


def test_access_log_off_drops_its_layer(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPECWAY_ACCESS_LOG", "0")
    _, out, _ = run(capsys, "stack", "--spec", str(REFERENCE))
    assert "AccessLogMiddleware" not in out
    assert "RequestIdMiddleware — request_id" in out


def test_building_the_stack_writes_no_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "never.db"
    monkeypatch.setenv("SPECWAY_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    monkeypatch.setenv("SPECWAY_SECRET_KEY_FILE", str(tmp_path / "key"))
    code, _, _ = run(capsys, "stack", "--spec", str(REFERENCE))
    assert code == 0
    assert list(tmp_path.iterdir()) == []


def test_routes_list_each_operations_plugins(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "stack", "--spec", str(REFERENCE), "--routes")
    assert code == 0
    routes = {line.split(" | ", 1)[0]: line for line in out.splitlines() if " | " in line}
    login = routes["POST /v1/auth/login loginUser"]
    assert "scopes=public" in login
    assert "ratelimit=anonymous+login" in login
    assert "audit=auth.login" in login
    assert login.endswith(" | part=accounts")  # mounted by x-specway-include
    create = routes["POST /v1/projects createProject"]
    assert "scopes=write" in create
    assert "idempotency=yes" in create
    assert "events=project.created" in create
    assert "part=" not in create
    assert "ratelimit=exempt" in routes["GET /health getHealth"]
    assert "rate-limit tiers: free=" in out


def test_missing_spec_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "stack", "--spec", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "spec not found" in err


class _Probe:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def test_a_layer_added_by_configure_is_named_with_its_stage() -> None:
    from specway.app import create_app
    from specway.cli.stack import render_stack
    from specway.settings import Settings

    def configure(builder: AppBuilder) -> None:
        builder.add_middleware(_Probe, Stage.AUTHENTICATED)

    settings = Settings.from_env(
        spec_path=str(REFERENCE), database_url="sqlite+aiosqlite:///:memory:"
    )
    lines = render_stack(create_app(settings=settings, configure=configure)).splitlines()
    probe = next(i for i, line in enumerate(lines) if "_Probe" in line)
    assert lines[probe].endswith("_Probe — configure (Stage.AUTHENTICATED)")
    # Stage.AUTHENTICATED runs after security, before validation; added last, it is innermost.
    assert lines[probe - 1].endswith("AuditMiddleware — audit (Stage.AUTHENTICATED)")
    assert "PreparedValidationMiddleware" in lines[probe + 1]


def test_add_middleware_refuses_a_connexion_position() -> None:
    from connexion.middleware import MiddlewarePosition

    builder = AppBuilder(state=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Stage"):
        builder.add_middleware(_Probe, MiddlewarePosition.BEFORE_SECURITY)
