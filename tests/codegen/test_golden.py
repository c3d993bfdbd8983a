"""Golden output: each fixture spec renders exactly its committed ``expected/`` tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from specway.codegen import load_ir
from specway.codegen.generators import GENERATORS
from specway.codegen.render import GENERATED, fill, stale_files
from tests.codegen.conftest import FIXTURES, GOLDEN_SCENARIOS


@pytest.mark.parametrize("scenario", GOLDEN_SCENARIOS)
@pytest.mark.parametrize("generator", sorted(GENERATORS))
def test_matches_committed_output(scenario: str, generator: str, tmp_path: Path) -> None:
    ir = load_ir(FIXTURES / scenario / "openapi.yaml")
    fill(tmp_path, GENERATORS[generator].render(ir, None))
    expected = FIXTURES / scenario / "expected" / generator
    stale = stale_files(tmp_path, expected)
    assert not stale, f"regenerate with `python tests/fixtures/regenerate.py`: {stale}"


@pytest.mark.parametrize("scenario", GOLDEN_SCENARIOS)
def test_output_is_deterministic_and_marked(scenario: str) -> None:
    first = GENERATORS["docs"].render(load_ir(FIXTURES / scenario / "openapi.yaml"), None)
    second = GENERATORS["docs"].render(load_ir(FIXTURES / scenario / "openapi.yaml"), None)
    assert first == second
    for name, text in first.items():
        assert GENERATED in text.splitlines()[0], name
        assert text.endswith("\n"), name
        assert not text.endswith("\n\n"), name
