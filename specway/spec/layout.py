"""Where a project's handlers package sits relative to its spec (pure path logic, no imports).

The *import root* is the spec's folder, or, when that folder is itself a Python package (it has
an ``__init__.py``), the first folder above it that is not, as pytest finds a test module's base
directory. The default handlers package is ``handlers`` inside the spec's folder, named from the
import root: ``examples/keynest/openapi.yaml`` → ``examples.keynest.handlers``.

``x-specway-handlers`` overrides it either with a dotted name (relative to the import root) or
with a path to the package's folder (it contains a ``/``; relative to the spec's folder, or
absolute), for a spec kept apart from its code (``api/openapi.yaml`` → ``../src/shop/handlers``).
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_HANDLERS = "handlers"


def package_prefix(folder: Path) -> tuple[Path, tuple[str, ...]]:
    """The import root above ``folder`` and the package names from it down to ``folder``."""
    parts: list[str] = []
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.append(folder.name)
        folder = folder.parent
    return folder, tuple(reversed(parts))


def is_handlers_path(declared: str) -> bool:
    """Whether ``x-specway-handlers`` names a folder rather than a dotted package."""
    return "/" in declared


def handlers_location(spec_file: str | Path, declared: str | None = None) -> tuple[Path, str]:
    """The import root and dotted name of the handlers package of the spec at ``spec_file``."""
    spec_dir = Path(spec_file).resolve().parent if str(spec_file) else Path.cwd()
    if declared and is_handlers_path(declared):
        folder = (spec_dir / declared).resolve()
        root, prefix = package_prefix(folder)
        return (root, ".".join(prefix)) if prefix else (folder.parent, folder.name)
    root, prefix = package_prefix(spec_dir)
    return root, declared or ".".join((*prefix, DEFAULT_HANDLERS))
