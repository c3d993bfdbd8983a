"""Helpers for the seed examples: where each spec is and the documented-shape comparison."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example_spec(name: str) -> Path:
    return EXAMPLES / name / "openapi.yaml"


def shape_problems(
    documented: Any, actual: Any, opaque_ids: Iterable[str] = (), at: str = "$"
) -> list[str]:
    """Where ``actual`` lacks a documented key or has another JSON type than documented.

    A documented ``null`` matches anything (the seed shows an absent value); lists compare their
    first items. Keys in ``opaque_ids`` are identifiers: a documented integer matches a string
    (specway's ids are opaque strings).
    """
    ids = frozenset(opaque_ids)
    problems: list[str] = []
    if documented is None:
        return problems
    if isinstance(documented, dict):
        if not isinstance(actual, dict):
            return [f"{at}: expected an object, got {type(actual).__name__}"]
        for key, value in documented.items():
            if key not in actual:
                problems.append(f"{at}.{key}: missing")
                continue
            if key in ids and isinstance(value, int) and isinstance(actual[key], str):
                continue
            problems += shape_problems(value, actual[key], ids, f"{at}.{key}")
        return problems
    if isinstance(documented, list):
        if not isinstance(actual, list):
            return [f"{at}: expected an array, got {type(actual).__name__}"]
        if documented and actual:
            problems += shape_problems(documented[0], actual[0], ids, f"{at}[0]")
        return problems
    if isinstance(documented, bool):
        ok = isinstance(actual, bool)
    elif isinstance(documented, int | float):
        ok = isinstance(actual, int | float) and not isinstance(actual, bool)
    else:
        ok = isinstance(actual, type(documented))
    if not ok and actual is not None:
        problems.append(f"{at}: expected {type(documented).__name__}, got {actual!r}")
    return problems
