"""``docs/configuration.md``: one row per ``SPECWAY_*`` variable, each one ``from_env`` reads."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from specway.codegen.configuration_doc import render_configuration_doc, setting_docs
from specway.codegen.parse import CodegenError
from specway.settings import Settings
from tests.codegen.conftest import ROOT

ENV_FIELDS = [f for f in dataclasses.fields(Settings) if f.metadata.get("env") is not False]


def _sample(f: dataclasses.Field[Any]) -> tuple[str, Any]:
    """An environment value for ``f`` unlike its default, and what ``from_env`` should read."""
    kind = str(f.type)
    if kind.startswith("tuple"):
        return "10.0.0.0/8, 192.168.0.0/16", ("10.0.0.0/8", "192.168.0.0/16")
    if kind.startswith("bool"):
        return ("off", False) if f.default else ("on", True)
    if kind.startswith("int"):
        return "7", 7
    if kind.startswith("float"):
        return "2.5", 2.5
    return "some-value", "some-value"


def test_every_setting_has_a_row() -> None:
    text = render_configuration_doc(Settings)
    for f in ENV_FIELDS:
        assert f"| `SPECWAY_{f.name.upper()}` |" in text
        assert f.metadata["doc"] in text
    assert "SPECWAY_EXTRA" not in text
    assert len(setting_docs(Settings)) == len(ENV_FIELDS)


@pytest.mark.parametrize("row", setting_docs(Settings), ids=lambda row: row.variable)
def test_each_documented_variable_is_read_by_from_env(row: Any) -> None:
    name = row.variable.removeprefix("SPECWAY_").lower()
    f = next(f for f in ENV_FIELDS if f.name == name)
    raw, expected = _sample(f)
    assert getattr(Settings.from_env({row.variable: raw}), name) == expected
    beside_spec = Path("openapi.yaml").resolve().parent  # unset: the project's, from its spec
    unset = {
        "database_url": f"sqlite+aiosqlite:///{beside_spec / 'specway.db'}",
        "secret_key_file": str(beside_spec / ".specway-secret-key"),
    }
    assert getattr(Settings.from_env({}), name) == unset.get(name, f.default)


def test_defaults_are_the_dataclass_defaults() -> None:
    rows = {row.variable: row for row in setting_docs(Settings)}
    assert rows["SPECWAY_MAX_BODY_SIZE"].default == "`1048576`"
    assert rows["SPECWAY_AUTO_MIGRATE"].default == "`true`"
    assert rows["SPECWAY_TRUSTED_PROXIES"].default == "none"
    assert rows["SPECWAY_DATABASE_URL"].default == "`specway.db` (SQLite) in the spec's folder"
    assert rows["SPECWAY_REDIS_URL"].default.startswith("unset")


def test_committed_page_is_the_render() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == render_configuration_doc(Settings), "run `specway codegen`, commit docs/"


def test_an_undocumented_setting_is_a_codegen_error() -> None:
    @dataclass
    class Partly:
        documented: int = field(default=1, metadata={"doc": "has a meaning"})
        forgotten: str = "x"
        internal: dict[str, Any] = field(default_factory=dict, metadata={"env": False})

    with pytest.raises(CodegenError) as caught:
        setting_docs(Partly)
    assert [p.message for p in caught.value.problems] == ["setting 'forgotten' has no description"]


def test_the_embedded_database_and_key_file_live_beside_the_spec(tmp_path: Path) -> None:
    spec = tmp_path / "api" / "openapi.yaml"
    settings = Settings.from_env({"SPECWAY_SPEC_PATH": str(spec)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'api' / 'specway.db'}"
    assert settings.secret_key_file == str(tmp_path / "api" / ".specway-secret-key")
    chosen = Settings.from_env({"SPECWAY_DATABASE_URL": "sqlite+aiosqlite:///./x.db"})
    assert chosen.database_url == "sqlite+aiosqlite:///./x.db"  # a URL given is kept as given
