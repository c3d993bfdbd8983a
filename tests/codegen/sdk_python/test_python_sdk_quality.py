"""The committed ``sdk/python`` is fresh, and every generated package passes mypy and ruff."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from specway.codegen import load_ir
from specway.codegen.generators import GENERATORS, check
from specway.codegen.parse import CodegenError
from specway.codegen.render import GENERATED, fill
from tests.codegen.conftest import FIXTURES, ROOT, minimal_document

BIN = Path(sys.executable).parent


def test_committed_sdk_is_up_to_date() -> None:
    assert check(load_ir(ROOT / "openapi.yaml"), ROOT, ["python"]) == []


def test_generated_files_are_marked_and_deterministic() -> None:
    ir = load_ir(ROOT / "openapi.yaml")
    first = GENERATORS["python"].render(ir, None)
    assert first == GENERATORS["python"].render(load_ir(ROOT / "openapi.yaml"), None)
    for name, text in first.items():
        if text:
            assert GENERATED in text.splitlines()[0], name


@pytest.mark.parametrize("scenario", ["reference", "schemas", "minimal"])
def test_mypy_strict_and_ruff_pass(scenario: str, tmp_path: Path) -> None:
    spec = (
        ROOT / "openapi.yaml" if scenario == "reference" else FIXTURES / scenario / "openapi.yaml"
    )
    ir = load_ir(spec)
    fill(tmp_path, GENERATORS["python"].render(ir, None))
    package = ir.sdk.python_package
    ruff = subprocess.run(
        [BIN / "ruff", "check", "--config", "pyproject.toml", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode == 0, ruff.stdout
    mypy = subprocess.run(
        [BIN / "mypy", "--strict", "--config-file", "pyproject.toml", "--no-incremental", package],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout


def test_inline_object_variants_of_one_of_are_a_clear_error(
    write_spec: Callable[[dict[str, Any]], Path],
) -> None:
    document = minimal_document()
    document["components"] = {
        "schemas": {
            "Pet": {
                "oneOf": [
                    {"type": "object", "properties": {"bark": {"type": "string"}}},
                    {"type": "object", "properties": {"meow": {"type": "string"}}},
                ]
            }
        }
    }
    ir = load_ir(write_spec(document))
    with pytest.raises(CodegenError) as caught:
        GENERATORS["python"].render(ir, None)
    problems = caught.value.problems
    assert [p.pointer for p in problems] == [
        "/components/schemas/Pet/oneOf/0",
        "/components/schemas/Pet/oneOf/1",
    ]
    assert "named schema" in problems[0].message
