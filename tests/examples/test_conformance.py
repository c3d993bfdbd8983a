"""The conformance tables: every named test exists, and every example's README is current."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.examples.conformance import END, EXAMPLES, ITEMS, START, render

HERE = Path(__file__).resolve().parent


def _test_names(module: str) -> set[str]:
    tree = ast.parse((HERE / module).read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    }


@pytest.mark.parametrize("name", sorted(ITEMS))
def test_every_item_names_an_existing_test_or_a_reason(name: str) -> None:
    for item in ITEMS[name]:
        assert (item.test is None) != (item.gap is None), item
        if item.test is None:
            assert item.gap
            continue
        module, _, function = item.test.partition("::")
        assert function.split("[")[0] in _test_names(module), item.test


def test_every_example_has_a_list() -> None:
    assert set(ITEMS) == {p.parent.name for p in EXAMPLES.glob("*/openapi.yaml")}


@pytest.mark.parametrize("name", sorted(ITEMS))
def test_readme_table_is_current(name: str) -> None:
    text = (EXAMPLES / name / "README.md").read_text()
    assert START in text
    assert END in text
    block = START + text.partition(START)[2].partition(END)[0] + END
    assert block == render(name), "run: .venv/bin/python -m tests.examples.conformance"
