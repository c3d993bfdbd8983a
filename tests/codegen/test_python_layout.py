"""The layout of generated Python literals: what ``ruff format`` would leave as it is."""

from __future__ import annotations

from specway.codegen.python_layout import Node, flat, layout, literal, tuple_of


def call(name: str, *items: str) -> Node:
    return Node(f"{name}(", ")", tuple(("", item) for item in items))


def test_literals_are_in_ruff_style() -> None:
    assert literal("it's") == '"it\'s"'
    assert flat(literal({"a": [1, True, None, "x"]})) == '{"a": [1, True, None, "x"]}'
    assert flat(tuple_of(["1"])) == "(1,)"
    assert flat(tuple_of([])) == "()"


def test_a_node_that_fits_stays_on_one_line() -> None:
    assert layout(call("Option", '"--name"', '"name"'), 8, "x=", ",") == [
        '        x=Option("--name", "name"),'
    ]


def test_a_calls_items_share_a_line_when_that_fits() -> None:
    items = [f'"{"a" * 43}"', f'"{"b" * 43}"']
    assert layout(call("Option", *items), 4, suffix=",") == [
        "    Option(",
        f'        "{"a" * 43}", "{"b" * 43}"',
        "    ),",
    ]


def test_otherwise_one_item_a_line_with_trailing_commas() -> None:
    items = [f'"{"a" * 60}"', f'"{"b" * 60}"']
    assert layout(call("Option", *items), 0) == [
        "Option(",
        f"    {items[0]},",
        f"    {items[1]},",
        ")",
    ]
    # A collection of several items never shares a line once split; a nested node is laid
    # out at its own depth.
    table = tuple_of([call("C", items[0]), call("C", items[1])])
    assert layout(table, 0, "T = ") == [
        "T = (",
        f"    C({items[0]}),",
        f"    C({items[1]}),",
        ")",
    ]
    # A one-item tuple keeps its comma.
    pad = " " * 40
    assert layout(tuple_of([items[0]]), 40) == [pad + "(", f"{pad}    {items[0]},", pad + ")"]
