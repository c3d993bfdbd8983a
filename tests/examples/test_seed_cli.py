"""The seeds' command lines, run by the CLI generated with each example's Python SDK.

VersionTwo's ``version2 keys generate|list|revoke <key-id>`` and KeyNest's ``keynest config
set-token``, ``projects list``, ``env export --environment-id=… --output=.env`` and ``env import
--environment-id=… --file=.env``: the generated ``<package>._cli`` module's ``main(argv)`` is
called with the seed's exact words against ``specway serve`` of the example (nothing is
installed; the base URL comes from ``<NAME>_BASE_URL`` and the configuration from a temporary
``XDG_CONFIG_HOME``).
"""

from __future__ import annotations

import importlib
import json
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.examples.test_seed_snippets import Example, register, serve

Main = Callable[[list[str]], int]


@pytest.fixture(scope="module")
def versiontwo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Example]:
    yield from serve("versiontwo", "versiontwo_client", tmp_path_factory)


@pytest.fixture(scope="module")
def keynest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Example]:
    yield from serve("keynest", "keynest", tmp_path_factory)


def cli(example: Example) -> Main:
    main: Main = importlib.import_module(example.package + "._cli").main
    return main


def run(
    main: Main, capsys: pytest.CaptureFixture[str], line: str, *, status: int = 0
) -> tuple[str, str]:
    """``line`` (the seed's words after the program name) run; its stdout and stderr."""
    code = main(line.split()[1:])
    out, err = capsys.readouterr()
    assert code == status, (line, out, err)
    return out, err


def unstamped(export: str) -> str:
    """An export without its time stamp (``2026-12-06 07:30:16 UTC``)."""
    return re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?( ?UTC|Z)?", "<time>", export)


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "config"


def test_version2_keys_generate_list_revoke(
    versiontwo: Example,
    config_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``version2 keys generate`` mints a key (its secret shown once), ``keys list`` lists it,
    ``keys revoke <key-id>`` revokes it: the key is refused and no longer listed."""
    monkeypatch.setenv("VERSION2_BASE_URL", versiontwo.url)
    monkeypatch.setenv("VERSION2_TOKEN", versiontwo.api_key)
    main = cli(versiontwo)

    out, _ = run(main, capsys, "version2 keys generate")
    created: dict[str, Any] = json.loads(out)
    assert created["name"] == "version2 CLI"
    assert created["permissions"] == ["read"]
    secret = created["key"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(versiontwo.url + "/projects", headers=headers).status_code == 200

    out, _ = run(main, capsys, "version2 keys list")
    listed = json.loads(out)["api_keys"]
    assert created["id"] in [k["id"] for k in listed]
    assert all("key" not in k for k in listed)

    out, _ = run(main, capsys, f"version2 keys revoke {created['id']}")
    assert out == ""
    assert httpx.get(versiontwo.url + "/projects", headers=headers).status_code == 401
    out, _ = run(main, capsys, "version2 keys list")
    assert created["id"] not in [k["id"] for k in json.loads(out)["api_keys"]]

    # Options override the command's defaults; a second revoke is the API's 404, exit 1.
    out, _ = run(
        main, capsys, "version2 keys generate --name ci --permission read --permission write"
    )
    assert json.loads(out)["permissions"] == ["read", "write"]
    _, err = run(main, capsys, f"version2 keys revoke {created['id']}", status=1)
    assert err.startswith("version2: error: ")
    assert "not found" in err.lower()


def test_version2_usage_errors_exit_2(
    versiontwo: Example, config_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main = cli(versiontwo)
    _, err = run(main, capsys, "version2 keys revoke", status=2)
    assert "KEY_ID" in err
    _, err = run(main, capsys, "version2 keys generate --permission owner", status=2)
    assert "invalid choice" in err
    run(main, capsys, "version2 keys frobnicate", status=2)


def test_keynest_cli_as_the_seed_shows_it(
    keynest: Example,
    config_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The seed's "CLI Tool" block, line by line."""
    from keynest import KeyNestClient  # type: ignore[import-not-found]

    monkeypatch.setenv("KEYNEST_BASE_URL", keynest.url)
    token = register(keynest)
    with KeyNestClient(token=token, base_url=keynest.url) as setup:
        project = setup.projects.create(name="CLI project")
        environment = setup.environments.create(name="production", project=project.id)
        setup.variables.create(
            key="DATABASE_URL", value="postgresql://u:p@h/db", environment_id=environment.id
        )
        exported = setup.environments.export(environment.id)
    main = cli(keynest)

    out, _ = run(main, capsys, f"keynest config set-token {token}")
    stored = config_home / "keynest" / "config.json"
    assert str(stored) in out
    assert json.loads(stored.read_text()) == {"token": token}
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600

    out, _ = run(main, capsys, "keynest projects list")
    assert [p["id"] for p in json.loads(out)["results"]] == [project.id]

    line = f"keynest env export --environment-id={environment.id} --output=.env"
    out, _ = run(main, capsys, line)
    assert out == ""
    written = Path(".env").read_text(encoding="utf-8")
    # The API's export, byte for byte but for the second its header is stamped with.
    assert unstamped(written) == unstamped(exported)
    assert written.startswith("# Generated by KeyNest - Environment: production\n")
    assert "\nDATABASE_URL=postgresql://u:p@h/db\n" in written

    Path(".env").write_text("DATABASE_URL=postgresql://u:p@h/db2\nNEW_KEY=1\n", encoding="utf-8")
    out, _ = run(main, capsys, f"keynest env import --environment-id={environment.id} --file=.env")
    summary = json.loads(out)["summary"]
    assert (summary["imported"], summary["updated"], summary["failed"]) == (1, 1, 0)
    with KeyNestClient(token=token, base_url=keynest.url) as check:
        listed = check.environments.variables(env_id=environment.id)
        values = {v.key: v.decrypted_value for v in listed}
    assert values == {"DATABASE_URL": "postgresql://u:p@h/db2", "NEW_KEY": "1"}

    # Without an export file's text on stdout: the same export, raw.
    out, _ = run(main, capsys, f"keynest env export {environment.id}")
    assert out.startswith("# Generated by KeyNest")


def test_keynest_errors(
    keynest: Example,
    config_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A bad token is the API's 401 message on stderr (exit 1); a missing file is a usage
    error (exit 2)."""
    monkeypatch.setenv("KEYNEST_BASE_URL", keynest.url)
    main = cli(keynest)
    _, err = run(main, capsys, f"keynest projects list --token {'0' * 40}", status=1)
    assert err.startswith("keynest: error: ")
    _, err = run(main, capsys, "keynest env import --environment-id=1 --file=missing.env", status=2)
    assert "cannot read missing.env" in err
