"""What a request costs: a fixed number of units, or a value read from the request.

``x-specway-ratelimit.cost`` is an integer or an OpenAPI runtime expression:
``$request.body#/items`` (a JSON pointer into the body: an array costs its length, a number its
value), ``$request.query.count`` or ``$request.header.X-Batch-Size`` (an integer). A value that
is missing or unreadable costs 1: request validation, which runs after the limiter, rejects the
request anyway, and it must never be free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

from specway.types import Scope, header

CostSource = Literal["fixed", "body", "query", "header"]


@dataclass(frozen=True, slots=True)
class CostRule:
    """A compiled cost: ``fixed`` units, or where in the request to read them."""

    source: CostSource = "fixed"
    fixed: int = 1
    pointer: tuple[str, ...] = ()
    name: str = ""

    @classmethod
    def parse(cls, raw: int | str) -> CostRule:
        """Compile the spec's value (already checked against the extension schema)."""
        if isinstance(raw, int):
            return cls("fixed", raw)
        expression = raw.removeprefix("$request.")
        if expression.startswith("body"):
            pointer = expression.partition("#")[2]
            tokens = tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:])
            return cls("body", pointer=tokens)
        source, _, name = expression.partition(".")
        if source == "header":
            return cls("header", name=name.lower())
        return cls("query", name=name)

    @property
    def needs_body(self) -> bool:
        return self.source == "body"

    def evaluate(self, scope: Scope, body: Any = None) -> int:
        """The cost of this request in units (``body`` is the parsed JSON body, if any)."""
        if self.source == "fixed":
            return self.fixed
        if self.source == "body":
            return _units(_follow(body, self.pointer))
        if self.source == "header":
            raw = header(scope, self.name.encode("latin-1"))
            return _units(raw.decode("latin-1") if raw is not None else None)
        query = scope.get("query_string", b"").decode("latin-1")
        for key, value in parse_qsl(query, keep_blank_values=True):
            if key == self.name:
                return _units(value)
        return 1


def _follow(document: Any, tokens: tuple[str, ...]) -> Any:
    node = document
    for token in tokens:
        if isinstance(node, dict):
            node = node.get(token)
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def _units(value: Any) -> int:
    if isinstance(value, list):
        return max(1, len(value))
    if isinstance(value, bool):
        return 1
    if isinstance(value, int):
        return max(1, value)
    if isinstance(value, str) and value.strip().isdigit():
        return max(1, int(value.strip()))
    return 1
