"""Python literals and calls laid out the way ``ruff format`` keeps them.

A generated data table (the CLI's commands) is nested calls and literals whose width depends
on the spec's text, so a template cannot know where lines break. :func:`layout` decides as
ruff does: a node stays on one line when it fits in the line length; else a call's items go
on one line of their own between the opening and the closing line when that fits; else each
item goes on a line of its own (laid out the same way, one level deeper) with a trailing
comma, which keeps ruff from joining the lines again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

LINE_LENGTH = 100  # the generated SDK's ``[tool.ruff] line-length``


@dataclass(frozen=True, slots=True)
class Node:
    """A bracketed list of items: a call (``open`` = ``"Name("``), tuple, list or dict.

    Each item is ``(prefix, value)``: the prefix is ``"key="`` for a keyword argument,
    ``'"key": '`` for a dict entry, ``""`` otherwise.
    """

    open: str
    close: str
    items: tuple[tuple[str, Source], ...]
    tuple_of_one: bool = False  # a one-item tuple keeps its comma on one line


Source = str | Node


def literal(value: object) -> Source:
    """A JSON-like value as Python source: double-quoted strings, tuples for lists."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return Node("{", "}", tuple((f"{literal(k)}: ", literal(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return Node("[", "]", tuple(("", literal(v)) for v in value))
    return repr(value)


def tuple_of(items: list[Source]) -> Node:
    """``(a, b)``; ``(a,)`` for one item."""
    return Node("(", ")", tuple(("", item) for item in items), tuple_of_one=len(items) == 1)


def flat(source: Source) -> str:
    """``source`` on one line."""
    if isinstance(source, str):
        return source
    inner = ", ".join(prefix + flat(value) for prefix, value in source.items)
    return source.open + inner + ("," if source.tuple_of_one else "") + source.close


def layout(source: Source, indent: int, prefix: str = "", suffix: str = "") -> list[str]:
    """The lines of ``prefix + source + suffix`` at ``indent`` spaces."""
    pad = " " * indent
    line = pad + prefix + flat(source) + suffix
    if isinstance(source, str) or not source.items or len(line) <= LINE_LENGTH:
        return [line]
    body = " " * (indent + 4) + flat(Node("", "", source.items, source.tuple_of_one))
    # A collection of several items (or a one-item tuple, with its comma) never keeps its
    # items on one line once split: ruff adds the trailing comma, one item per line.
    collection = source.open in ("(", "[", "{") and (len(source.items) > 1 or source.tuple_of_one)
    if len(body) <= LINE_LENGTH and not collection:
        return [pad + prefix + source.open, body, pad + source.close + suffix]
    lines = [pad + prefix + source.open]
    for key, value in source.items:
        lines.extend(layout(value, indent + 4, key, ","))
    lines.append(pad + source.close + suffix)
    return lines
