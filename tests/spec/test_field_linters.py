"""The field's own linters on every spec specway ships: Spectral (``spectral:oas``) and Redocly
(``recommended``), pinned in ``tools/speclint`` (``npm ci`` there; ``.ci/run`` does it).

Each spec is linted as specway serves it (``specway spec bundle``: file references resolved,
``x-specway-include`` parts merged). Errors and warnings both fail; a rule is only off in
``tools/speclint/{spectral,redocly}.yaml`` (all specs) or ``exceptions.yaml`` (one spec), each
with its reason.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from specway.spec import load_spec_document

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "speclint"
BIN = TOOLS / "node_modules" / ".bin"
SPECS = {
    "openapi": ROOT / "openapi.yaml",
    **{p.parent.name: p for p in sorted((ROOT / "examples").glob("*/openapi.yaml"))},
    "oas31-fixture": ROOT / "tests" / "fixtures" / "oas31" / "openapi.yaml",
}
ENV = {
    **os.environ,
    "REDOCLY_TELEMETRY": "off",
    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    "NO_COLOR": "1",
}

pytestmark = pytest.mark.skipif(
    not (BIN / "spectral").exists() or not (BIN / "redocly").exists(),
    reason="tools/speclint is not installed (npm ci --prefix tools/speclint)",
)


def _exceptions(name: str) -> dict[str, Any]:
    table = yaml.safe_load((TOOLS / "exceptions.yaml").read_text(encoding="utf-8")) or {}
    entry: dict[str, Any] = table.get(name) or {}
    assert not entry or entry.get("reason"), f"exceptions.yaml: {name} gives no reason"
    return entry


def _bundle(name: str, tmp_path: Path) -> Path:
    out = tmp_path / f"{name}.yaml"
    document = load_spec_document(SPECS[name])
    out.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), "utf-8")
    return out


@pytest.mark.parametrize("name", sorted(SPECS))
def test_spectral_finds_nothing(name: str, tmp_path: Path) -> None:
    spec = _bundle(name, tmp_path)
    ruleset = tmp_path / "spectral.yaml"
    off = {rule: "off" for rule in _exceptions(name).get("spectral", [])}
    ruleset.write_text(
        yaml.safe_dump({"extends": [str(TOOLS / "spectral.yaml")], "rules": off}), "utf-8"
    )
    proc = subprocess.run(
        [str(BIN / "spectral"), "lint", "-q", "-f", "json", "-r", str(ruleset), str(spec)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
        check=False,
    )
    found = json.loads(proc.stdout or "[]")
    problems = [f"{r['code']} at {'.'.join(map(str, r['path']))}: {r['message']}" for r in found]
    assert problems == [], "\n".join(problems)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("name", sorted(SPECS))
def test_redocly_finds_nothing(name: str, tmp_path: Path) -> None:
    spec = _bundle(name, tmp_path)
    skips = [f"--skip-rule={rule}" for rule in _exceptions(name).get("redocly", [])]
    proc = subprocess.run(
        [
            str(BIN / "redocly"),
            "lint",
            "--config",
            str(TOOLS / "redocly.yaml"),
            "--format",
            "json",
            *skips,
            str(spec),
        ],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
        check=False,
    )
    report = json.loads(proc.stdout[proc.stdout.index("{") :])
    # Redocly does not follow a $ref inside a specification extension: the models a stream's
    # events decode into (x-specway-event-data) read as unused to it. Spectral, which follows
    # every $ref, still checks them.
    event_models = _event_data_refs(yaml.safe_load(spec.read_text(encoding="utf-8")))
    problems = [
        f"{p['severity']} {p['ruleId']} at {p['location'][0]['pointer']}: {p['message']}"
        for p in report["problems"]
        if not (
            p["ruleId"] == "no-unused-components" and p["location"][0]["pointer"] in event_models
        )
    ]
    assert problems == [], "\n".join(problems)
    assert proc.returncode == 0, proc.stderr


def _event_data_refs(document: dict[str, Any]) -> set[str]:
    """The components the operations' ``x-specway-event-data`` refer to, as pointers."""
    found = set()
    for item in (document.get("paths") or {}).values():
        for operation in item.values():
            ref = isinstance(operation, dict) and (operation.get("x-specway-event-data") or {})
            if isinstance(ref, dict) and isinstance(ref.get("$ref"), str):
                found.add(ref["$ref"])
    return found
