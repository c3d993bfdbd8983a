"""The Go SDK: registered, committed fresh, gofmt-clean, ``go vet`` clean and its tests pass.

Every golden fixture generates a Go module that must format, vet, build and pass its own
``go test`` (the core against ``httptest`` servers); tests/examples/test_examples_sdk.py does the
same for every example spec.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from go_support import HERE, ROOT, SDK, run

from specway.codegen import load_ir
from specway.codegen.generators import GENERATORS, check
from specway.codegen.render import GENERATED, fill
from tests.codegen.conftest import FIXTURES, GOLDEN_SCENARIOS

SPECS = [FIXTURES / s / "openapi.yaml" for s in GOLDEN_SCENARIOS if s != "reference"]


def gofmt_clean(go: str, directory: Path) -> None:
    gofmt = str(Path(go).resolve().parent / "gofmt")
    listed = run([gofmt, "-l", "."], cwd=directory).stdout.split()
    assert listed == [], f"not gofmt-clean: {listed}"


def test_registered_and_deterministic() -> None:
    assert GENERATORS["go"].default_out == "sdk/go"
    first = GENERATORS["go"].render(load_ir(ROOT / "openapi.yaml"), None)
    assert first == GENERATORS["go"].render(load_ir(ROOT / "openapi.yaml"), None)
    for name, text in first.items():
        assert GENERATED in text.splitlines()[0], name


def test_committed_sdk_is_fresh() -> None:
    assert check(load_ir(ROOT / "openapi.yaml"), ROOT, ["go"]) == []


def test_reference_sdk_is_gofmt_clean_vets_builds_and_passes_go_test(go: str) -> None:
    gofmt_clean(go, SDK)
    run([go, "vet", "./..."], cwd=SDK)
    run([go, "build", "./..."], cwd=SDK)
    out = run([go, "test", "-count=1", "./..."], cwd=SDK).stdout
    assert out.startswith("ok"), out


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.parent.name)
def test_every_fixture_sdk_vets_and_passes_go_test(go: str, spec: Path, tmp_path: Path) -> None:
    fill(tmp_path, GENERATORS["go"].render(load_ir(spec), None))
    if spec.parent.name == "schemas":
        shutil.copy(HERE / "shapes_test.go", tmp_path / "shapes_test.go")
    gofmt_clean(go, tmp_path)
    run([go, "vet", "./..."], cwd=tmp_path)
    run([go, "test", "-count=1", "./..."], cwd=tmp_path)


def test_the_generated_go_tests_catch_a_broken_retry(go: str, tmp_path: Path) -> None:
    shutil.copytree(SDK, tmp_path / "sdk")
    core = tmp_path / "sdk" / "core.go"
    text = core.read_text()
    broken = text.replace("status == 429 ||", "")
    assert broken != text
    core.write_text(broken)
    proc = run([go, "test", "-count=1", "-run", "A429", "./..."], cwd=tmp_path / "sdk", check=False)
    assert proc.returncode != 0
    assert "TestA429IsRetriedHonouringRetryAfterWithOneIdempotencyKey" in proc.stdout
