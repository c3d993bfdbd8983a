"""Name conversions shared by the runtime (handler lookup) and codegen (SDK names)."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[^A-Za-z0-9]+")


def words(name: str) -> list[str]:
    """Split ``listProjects``, ``list_projects`` or ``API keys`` into lower-case words."""
    return [w.lower() for w in _BOUNDARY.split(name) if w]


def snake(name: str) -> str:
    return "_".join(words(name))


def camel(name: str) -> str:
    parts = words(name)
    return parts[0] + "".join(p.title() for p in parts[1:]) if parts else ""


def pascal(name: str) -> str:
    return "".join(p.title() for p in words(name))
