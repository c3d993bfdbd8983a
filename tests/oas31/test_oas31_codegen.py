"""SDKs generated from an OpenAPI 3.1 document type its 2020-12 constructs: a type array with
``null`` as nullable, ``const`` as a literal type, ``webhooks`` as the event catalogue (Python,
TypeScript and Go, each compiled by its own checker)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from specway.codegen.go_sdk import generate_go
from specway.codegen.parse import load_ir
from specway.codegen.python_sdk import generate_python
from specway.codegen.typescript import generate_typescript

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tests" / "fixtures" / "oas31" / "openapi.yaml"
TSC = ROOT / "tools" / "ts" / "node_modules" / ".bin" / "tsc"


def _write(files: dict[str, str], out: Path) -> None:
    for name, text in files.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def test_the_ir_reads_type_arrays_const_and_webhooks() -> None:
    ir = load_ir(SPEC)
    schemas = {s.name: s.schema for s in ir.schemas}
    props = {p.name: p.schema for p in schemas["GadgetInput"].properties}
    assert props["size"].kind == "integer"
    assert props["size"].accepts_null
    assert props["kind"].enum == ("gadget",)
    assert not props["name"].accepts_null
    tag = {p.name: p.schema for p in schemas["Gadget"].properties}["tag"]
    assert tag.accepts_null  # anyOf: [{$ref: Tag}, {type: "null"}]
    assert [v.ref for v in tag.variants] == ["Tag"]
    assert [w.name for w in ir.webhooks] == ["gadget.created"]


def test_python_sdk_types_nullable_and_literal_and_passes_mypy_strict(tmp_path: Path) -> None:
    files = generate_python(load_ir(SPEC))
    models = files["gadgets_client/models.py"]
    assert "    size: int | None\n" in models
    assert '    kind: Literal["gadget"]\n' in models
    assert "    dimensions: list[float]\n" in models
    assert "    tag: Tag | Unset | None = UNSET\n" in models
    _write(files, tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "gadgets_client"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_typescript_sdk_types_nullable_and_literal_and_compiles(tmp_path: Path) -> None:
    files = generate_typescript(load_ir(SPEC))
    models = files["src/models.ts"]
    assert "  size: number | null;\n" in models
    assert '  kind: "gadget";\n' in models
    assert "  tag?: Tag | null;\n" in models
    if not TSC.exists():
        pytest.skip("tools/ts not installed (npm ci in tools/ts)")
    _write(files, tmp_path)
    proc = subprocess.run(
        [str(TSC), "--noEmit", "-p", str(tmp_path / "tsconfig.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_go_sdk_types_nullable_and_const_and_builds(tmp_path: Path) -> None:
    files = generate_go(load_ir(SPEC))
    models = files["models.go"]
    assert '\tSize *int64 `json:"size"`\n' in models
    assert '\tKind GadgetInputKind `json:"kind"`\n' in models
    assert 'GadgetInputKindGadget GadgetInputKind = "gadget"' in models
    go = shutil.which("go")
    if go is None:
        pytest.skip("go is not installed")
    _write(files, tmp_path)
    env = {**os.environ, "GOPROXY": "off", "GO111MODULE": "on", "CGO_ENABLED": "0"}
    env["GOCACHE"] = str(ROOT / ".venv" / "go-cache")
    proc = subprocess.run(
        [go, "vet", "./..."], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
