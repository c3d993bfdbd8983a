"""A specway project: an ``openapi.yaml`` and its ``handlers`` package (migrations: ``SpecModel``).

A project is found from its spec, whatever the current directory (see
:mod:`specway.spec.layout` for its import root and default handlers package); ``x-specway-handlers``
names another package, relative to the import root.

The project's package always wins over anything else of the same name: the import root goes to
the front of ``sys.path`` and a module of that name already imported from another place (an
installed ``handlers`` distribution, another project served earlier in the same process) is
set aside before the import, and put back if that package is imported again. A package that
still resolves elsewhere, or that is missing, is a startup error naming the folder searched:
never a silent fallback to another package.
"""

from __future__ import annotations

import importlib
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from specway.errors import ConfigError
from specway.spec import SpecModel

logger = logging.getLogger("specway.project")

# Packages displaced by another project's package of the same name, by their location.
_SET_ASIDE: dict[Path, dict[str, ModuleType]] = {}


@dataclass(frozen=True, slots=True)
class Project:
    """Where a project's parts live, derived from its spec's path."""

    spec_path: Path
    root: Path
    import_root: Path
    handlers_package: str

    @property
    def handlers_folder(self) -> Path:
        return self.import_root.joinpath(*self.handlers_package.split("."))


def locate(model: SpecModel) -> Project:
    """The project of ``model``'s spec file, with the handlers package it names."""
    spec = Path(model.file).resolve()
    return Project(spec, spec.parent, Path(model.handlers_root), model.handlers_package)


def import_handlers(project: Project) -> ModuleType:
    """Import ``project``'s handlers package from its own folder; ``ConfigError`` otherwise."""
    folder = project.handlers_folder
    if not (folder / "__init__.py").is_file() and not folder.with_suffix(".py").is_file():
        raise ConfigError(
            f"handlers package {project.handlers_package!r} not found: no {folder}/__init__.py "
            f"(the project's handlers live beside {project.spec_path.name}; "
            "x-specway-handlers names another package)"
        )
    root = str(project.import_root)
    if root in sys.path:
        sys.path.remove(root)
    sys.path.insert(0, root)
    top = project.handlers_package.split(".")[0]
    _make_room(top, project.import_root / top)
    try:
        module = importlib.import_module(project.handlers_package)
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(
            f"handlers package {project.handlers_package!r} ({folder}) failed to import: "
            f"{_describe(exc)}"
        ) from None
    where = _location(module)
    if where is None or not _within(where, project.import_root / top):
        raise ConfigError(
            f"handlers package {project.handlers_package!r} resolved to {where}, "
            f"not the project's {folder}"
        )
    return module


def import_handler_module(project: Project, name: str) -> ModuleType | None:
    """``name`` (a module of the handlers package), or ``None`` if the package has no such file.

    An error inside an existing module is a ``ConfigError`` naming it and its file, never
    "not found".
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            return None
        failure: Exception = exc
    except Exception as exc:
        failure = exc
    raise ConfigError(
        f"handler module {name!r} ({module_file(project, name)}) failed to import: "
        f"{_describe(failure)}"
    ) from None


def module_file(project: Project, name: str) -> Path:
    """Where module ``name`` of ``project``'s handlers package is looked for."""
    return project.import_root.joinpath(*name.split(".")).with_suffix(".py")


def _make_room(top: str, expected: Path) -> None:
    """Make ``import top`` load the package at ``expected``.

    A ``top`` already imported from elsewhere is set aside with its submodules (not forgotten:
    importing that package again later, e.g. a second app of the other project in the same
    process, gets the same module objects back instead of running them twice, which would
    declare their ORM classes and tables twice). One set aside earlier from ``expected`` is
    put back.
    """
    loaded = sys.modules.get(top)
    if loaded is not None:
        where = _location(loaded)
        if where is not None and _within(where, expected):
            return
        logger.info("project package %r replaces the one imported from %s", top, where)
        names = [n for n in sys.modules if n == top or n.startswith(top + ".")]
        aside = {n: sys.modules.pop(n) for n in names}
        if where is not None:
            _SET_ASIDE[where] = aside
    expected = expected.resolve()
    back = _SET_ASIDE.pop(expected, None) or _SET_ASIDE.pop(expected.with_suffix(".py"), None)
    if back:
        sys.modules.update(back)
    importlib.invalidate_caches()


def _location(module: ModuleType) -> Path | None:
    path = getattr(module, "__path__", None)
    if path:
        return Path(next(iter(path))).resolve()
    file = getattr(module, "__file__", None)
    return Path(file).resolve() if file else None


def _within(path: Path, expected: Path) -> bool:
    expected = expected.resolve()
    return path == expected or path == expected.with_suffix(".py") or expected in path.parents


def _describe(exc: BaseException) -> str:
    """One line: the exception and, for syntax errors, the file and line."""
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} ({exc.filename}, line {exc.lineno})"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
