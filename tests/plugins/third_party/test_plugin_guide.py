"""docs/plugins.md names what exists: the public module's names, every Stage, the example."""

from __future__ import annotations

import re
from pathlib import Path

from specway.plugins import api
from specway.stages import Stage

ROOT = Path(__file__).resolve().parents[3]
GUIDE = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")


def test_its_imports_are_public_names() -> None:
    imports = re.findall(r"from specway\.plugins\.api import ([^\n]+)", GUIDE)
    assert imports
    for line in imports:
        for name in (n.strip() for n in line.split(",")):
            assert name in api.__all__, name


def test_its_stage_table_is_every_stage() -> None:
    rows = re.findall(r"^\| `([A-Z_]+)` \|", GUIDE, flags=re.MULTILINE)
    assert rows == [stage.name for stage in Stage]


def test_the_functions_and_errors_it_names_are_exported() -> None:
    named = set(re.findall(r"\b([a-z_]+)\(", GUIDE)) & {
        "principal",
        "operation",
        "operation_id",
        "client_ip",
        "request_id",
        "header",
        "counter",
        "histogram",
        "send_error",
    }
    assert len(named) == 9
    errors = re.findall(r"`([A-Z][A-Za-z]+)` \(\d{3}\)", GUIDE)
    assert len(errors) == 7
    assert (named | set(errors) | {"APIError", "SpecwayPlugin", "ConfigError"}) <= set(api.__all__)


def test_its_example_exists() -> None:
    assert (ROOT / "examples" / "plugins" / "ip-allowlist" / "pyproject.toml").is_file()
    assert "](docs/plugins.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
