"""The CLI generated with the Python SDK: its command tree, option parsing and configuration.

The live runs of the seeds' command lines are in ``tests/examples/test_seed_cli.py``; these
import the generated ``_cli`` module of small documents and parse argument lists without a
server.
"""

from __future__ import annotations

import argparse
import importlib
import json
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from specway.codegen import load_ir
from specway.codegen.parse import CodegenError
from specway.codegen.python_sdk import generate_python
from specway.codegen.render import fill
from tests.codegen.conftest import ROOT, minimal_document

BIN = Path(sys.executable).parent


def keys_document(cli: Any = None) -> dict[str, Any]:
    """An API-key resource: a create with a required name and an array, and a revoke by id."""
    document = minimal_document()
    key_id = {"name": "key_id", "in": "path", "required": True, "schema": {"type": "string"}}
    body = {
        "type": "object",
        "required": ["name", "scopes"],
        "properties": {
            "name": {"type": "string"},
            "scopes": {"type": "array", "items": {"type": "string", "enum": ["read", "write"]}},
            "ttl": {"type": "integer"},
            "labels": {"type": "object"},
        },
    }
    document["paths"].update(
        {
            "/keys": {
                "post": {
                    "operationId": "createKey",
                    "tags": ["Keys"],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": body}},
                    },
                    "responses": {"201": {"description": "ok"}},
                }
            },
            "/keys/{key_id}": {
                "delete": {
                    "operationId": "revokeKey",
                    "tags": ["Keys"],
                    "parameters": [key_id],
                    "responses": {"204": {"description": "gone"}},
                }
            },
        }
    )
    if cli is not None:
        document["x-specway-sdk"] = {"cli": cli}
    return document


@pytest.fixture
def generated(
    write_spec: Callable[[dict[str, Any]], Path], tmp_path: Path
) -> Iterator[Callable[[dict[str, Any]], ModuleType]]:
    """Generate a document's SDK into a folder and import its ``_cli`` module."""
    imported: list[str] = []

    def load(document: dict[str, Any]) -> ModuleType:
        files = generate_python(load_ir(write_spec(document)))
        out = tmp_path / "sdk"
        fill(out, files)
        sys.path.insert(0, str(out))
        imported.append(str(out))
        return importlib.import_module("t_client._cli")

    yield load
    for folder in imported:
        sys.path.remove(folder)
    for name in [m for m in sys.modules if m == "t_client" or m.startswith("t_client.")]:
        del sys.modules[name]


def parse(cli: ModuleType, line: str) -> argparse.Namespace:
    parser = cli.build_parser()
    args: argparse.Namespace = parser.parse_args(line.split())
    cli._arguments(parser, args)
    return args


def test_generic_commands_and_aliases_with_defaults(
    generated: Callable[[dict[str, Any]], ModuleType],
) -> None:
    cli = generated(
        keys_document(
            {
                "name": "tee",
                "commands": {
                    "keys generate": {
                        "operation": "createKey",
                        "defaults": {"name": "cli", "scopes": ["read"]},
                    },
                    "keys revoke": "revokeKey",
                },
            }
        )
    )
    assert cli.NAME == "tee"
    assert cli.TOKEN_ENV == "TEE_TOKEN"
    # The alias: defaults fill what is not passed; a repeated option (singular spelling too).
    args = parse(cli, "keys generate")
    assert (args.arg_name, args.arg_scopes, args.arg_ttl) == ("cli", ["read"], cli.UNSET)
    args = parse(cli, 'keys generate --scope read --scopes write --ttl 5 --labels {"a":1}')
    assert (args.arg_scopes, args.arg_ttl, args.arg_labels) == (["read", "write"], 5, {"a": 1})
    # The generic command keeps the required options.
    assert cli.main(["keys", "create"]) == 2
    args = parse(cli, "keys create --name n --scopes write")
    assert (args.arg_name, args.arg_scopes) == ("n", ["write"])
    # A path id by position or option, not two different ones.
    assert parse(cli, "keys revoke k1").arg_key_id == "k1"
    assert parse(cli, "keys revoke --key-id k2").arg_key_id == "k2"
    assert cli.main(["keys", "revoke"]) == 2
    assert cli.main(["keys", "revoke", "a", "--key-id", "b"]) == 2
    assert cli.main(["keys", "generate", "--scope", "admin"]) == 2
    assert cli.main(["keys", "generate", "--ttl", "soon"]) == 2


def test_config_set_token_writes_a_private_file(
    generated: Callable[[dict[str, Any]], ModuleType],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home"))
    cli = generated(keys_document())
    assert cli.NAME == "t-client"  # unset name: the Python distribution's
    assert cli.main(["config", "set-token", "secret"]) == 0
    assert cli.main(["config", "set-base-url", "http://127.0.0.1:1"]) == 0
    path = tmp_path / "home" / "t-client" / "config.json"
    assert json.loads(path.read_text()) == {"token": "secret", "base_url": "http://127.0.0.1:1"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    capsys.readouterr()
    # The stored base URL is used: nothing listens there, a connection error exits 1.
    assert cli.main(["things", "list"]) == 1
    assert capsys.readouterr().err.startswith("t-client: error: ")


def test_cli_false_generates_none(write_spec: Callable[[dict[str, Any]], Path]) -> None:
    files = generate_python(load_ir(write_spec(keys_document(False))))
    assert "t_client/_cli.py" not in files
    assert "[project.scripts]" not in files["pyproject.toml"]
    files = generate_python(load_ir(write_spec(keys_document({"name": "tee"}))))
    assert 'tee = "t_client._cli:main"' in files["pyproject.toml"]


@pytest.mark.parametrize(
    ("commands", "message"),
    [
        ({"keys mint": "mintKey"}, "no operation of the Python SDK has the operationId 'mintKey'"),
        ({"keys mint": {"operation": "createKey", "defaults": {"nme": "x"}}}, "'nme'"),
        ({"keys": "createKey"}, "is also the start of"),
    ],
)
def test_bad_commands_are_codegen_problems(
    write_spec: Callable[[dict[str, Any]], Path], commands: dict[str, Any], message: str
) -> None:
    ir = load_ir(write_spec(keys_document({"commands": commands})))
    with pytest.raises(CodegenError) as caught:
        generate_python(ir)
    assert any(message in p.message for p in caught.value.problems), caught.value.problems


def test_help_lists_each_option_with_the_specs_description(
    generated: Callable[[dict[str, Any]], ModuleType], capsys: pytest.CaptureFixture[str]
) -> None:
    document = keys_document({"commands": {"keys generate": "createKey"}})
    keys = document["paths"]
    keys["/keys/{key_id}"]["delete"]["parameters"][0]["description"] = "The key's id (`key_…`)."
    body = keys["/keys"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    body["properties"]["ttl"]["description"] = "Seconds the key lives."
    cli = generated(document)
    capsys.readouterr()
    assert cli.main(["keys", "generate", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--name NAME" in text
    assert "--scopes {read,write}, --scope {read,write} (repeat for more)" in text
    assert "--ttl TTL Seconds the key lives." in text
    assert "--labels LABELS" in text
    assert cli.main(["keys", "revoke", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "[KEY_ID]" in text
    assert "KEY_ID The key's id (`key_…`)." in text
    assert "--key-id KEY_ID The key's id (`key_…`)." in text


def test_commands_are_a_table_run_by_one_function(
    generated: Callable[[dict[str, Any]], ModuleType],
) -> None:
    """One ``Command`` per command (the alias with its defaults), no function per command."""
    cli = generated(
        keys_document(
            {"commands": {"keys generate": {"operation": "createKey", "defaults": {"ttl": 60}}}}
        )
    )
    table = {c.words: c for c in cli.COMMANDS}
    assert sorted(table) == ["keys create", "keys generate", "keys revoke", "things list"]
    generate = table["keys generate"]
    assert (generate.call, generate.defaults) == ("keys.create", {"ttl": 60})
    assert [(o.flag, o.dest, o.kind) for o in generate.options] == [
        ("--name", "name", "str"),
        ("--scopes", "scopes", "str"),
        ("--ttl", "ttl", "int"),
        ("--labels", "labels", "json"),
    ]
    assert table["keys revoke"].output == "none"
    assert not [name for name in vars(cli) if name.startswith("_run_")]


def test_generated_cli_is_ruff_formatted(
    write_spec: Callable[[dict[str, Any]], Path], tmp_path: Path
) -> None:
    """The table's layout is ruff's: ``ruff format --check`` leaves the module as it is."""
    documents = {
        "reference": ROOT / "openapi.yaml",
        "keys": write_spec(keys_document({"commands": {"keys generate": "createKey"}})),
    }
    for name, spec in documents.items():
        out = tmp_path / name
        fill(out, generate_python(load_ir(spec)))
        package = load_ir(spec).sdk.python_package
        done = subprocess.run(
            [BIN / "ruff", "format", "--check", "--diff", f"{package}/_cli.py"],
            cwd=out,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout
