"""A short string that matches a regular expression, for examples of ``pattern`` schemas.

Walks the parse tree of Python's own regex parser and takes the shortest sensible choice at
each node (first branch, first character of a class, the minimum repeat but at least one), so
the result is deterministic. The result is checked with ``re.search``; ``None`` means "could not
find one" (lookarounds and the like), and the caller falls back.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

with warnings.catch_warnings():
    # The stdlib moved these to re._parser/re._constants in 3.11; the stubs live under the
    # old names, which still work.
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as sc
    import sre_parse

_CANDIDATES = "axAX0_-. "
_CATEGORY_CHARS = {
    sc.CATEGORY_DIGIT: "0",
    sc.CATEGORY_NOT_DIGIT: "a",
    sc.CATEGORY_SPACE: " ",
    sc.CATEGORY_NOT_SPACE: "a",
    sc.CATEGORY_WORD: "a",
    sc.CATEGORY_NOT_WORD: "-",
}


def _in_set(items: list[tuple[Any, Any]], char: str) -> bool:
    code = ord(char)
    for op, arg in items:
        if op is sc.LITERAL and arg == code:
            return True
        if op is sc.RANGE and arg[0] <= code <= arg[1]:
            return True
        if op is sc.CATEGORY and re.fullmatch(_category_regex(arg), char):
            return True
    return False


def _category_regex(category: Any) -> str:
    return {
        sc.CATEGORY_DIGIT: r"\d",
        sc.CATEGORY_NOT_DIGIT: r"\D",
        sc.CATEGORY_SPACE: r"\s",
        sc.CATEGORY_NOT_SPACE: r"\S",
        sc.CATEGORY_WORD: r"\w",
        sc.CATEGORY_NOT_WORD: r"\W",
    }.get(category, ".")


def _char_class(items: list[tuple[Any, Any]]) -> str:
    if items and items[0][0] is sc.NEGATE:
        rest = items[1:]
        return next((c for c in _CANDIDATES if not _in_set(rest, c)), "~")
    for op, arg in items:
        if op is sc.LITERAL:
            return chr(arg)
        if op is sc.RANGE:
            return chr(arg[0])
        if op is sc.CATEGORY:
            return _CATEGORY_CHARS.get(arg, "a")
    return "a"


def _generate(tokens: Any, groups: dict[int, str]) -> str:
    out: list[str] = []
    for op, arg in tokens:
        if op is sc.LITERAL:
            out.append(chr(arg))
        elif op is sc.NOT_LITERAL:
            out.append("a" if arg != ord("a") else "b")
        elif op is sc.ANY:
            out.append("a")
        elif op is sc.IN:
            out.append(_char_class(arg))
        elif op is sc.CATEGORY:
            out.append(_CATEGORY_CHARS.get(arg, "a"))
        elif op in (sc.MAX_REPEAT, sc.MIN_REPEAT, getattr(sc, "POSSESSIVE_REPEAT", None)):
            low, high, sub = arg
            count = max(low, min(1, high))
            out.append("".join(_generate(sub, groups) for _ in range(count)))
        elif op is sc.SUBPATTERN:
            group, _add, _del, sub = arg
            text = _generate(sub, groups)
            if group is not None:
                groups[group] = text
            out.append(text)
        elif op is sc.BRANCH:
            out.append(_generate(arg[1][0], groups))
        elif op is sc.GROUPREF:
            out.append(groups.get(arg, ""))
        elif op is getattr(sc, "ATOMIC_GROUP", None):
            out.append(_generate(arg, groups))
        # AT (anchors) and lookarounds add nothing.
    return "".join(out)


def example_for_pattern(pattern: str) -> str | None:
    """A string that ``re.search(pattern, ...)`` accepts, or ``None``."""
    try:
        parsed = sre_parse.parse(pattern)
        text = _generate(parsed, {})
    except (re.error, RecursionError, ValueError, OverflowError):
        return None
    return text if re.search(pattern, text) else None
