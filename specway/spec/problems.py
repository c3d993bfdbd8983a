"""Problems found in a spec, collected as values and reported together.

Every check in this package appends :class:`Problem` values instead of raising on the first one,
so ``specway spec lint`` and startup errors can list *every* problem with its file and JSON
pointer at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """How bad a problem is: errors stop startup and fail lint, warnings only fail lint."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a spec document."""

    pointer: str
    message: str
    fix: str = ""
    level: Level = Level.ERROR
    file: str = ""

    def render(self) -> str:
        where = f"{self.file}#{self.pointer}" if self.file else f"#{self.pointer}"
        text = f"{where}: {self.level.value}: {self.message}"
        if self.fix:
            text += f" (fix: {self.fix})"
        return text


class SpecError(Exception):
    """Root of the errors of the ``spec`` package: a document that cannot be used.

    Carries every problem found, so callers can print them all.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.render() for p in problems))


def escape_pointer_token(token: str | int) -> str:
    """Escape one JSON pointer reference token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """Build a JSON pointer from raw tokens, e.g. ``pointer("paths", "/v1/x")``."""
    return "".join("/" + escape_pointer_token(t) for t in tokens)
