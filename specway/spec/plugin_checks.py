"""Lint of ``x-specway-plugins`` names and of the third-party plugins' extensions.

A name in ``x-specway-plugins`` must be a built-in (:data:`~specway.spec.plugin_names.
BUILTIN_PLUGINS`) or an installed ``specway.plugins`` entry point; otherwise the problem lists
every installed plugin. An enabled third-party plugin is loaded (its module imported) to read
its extension key, JSON Schema and levels (:func:`~specway.spec.plugin_names.describe`); its key
is then checked wherever it appears, like the built-in ``x-specway-*`` keys: every schema
mismatch with its pointer and a fix, the key at a level the plugin does not read, a plugin that
fails to load or breaks the contract. Entry points are looked up only when the document names
a plugin that is not built in, so a spec of built-ins costs nothing extra.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError

from specway.spec.extensions import schema_problems
from specway.spec.plugin_names import (
    PLUGIN_NAMES,
    ExtensionLevel,
    PluginContractError,
    PluginExtension,
    describe,
    entry_point_plugins,
)
from specway.spec.problems import Problem, pointer

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def plugin_problems(document: dict[str, Any]) -> list[Problem]:
    """Every problem of the plugin names and the enabled third-party plugins' extensions."""
    listed = document.get("x-specway-plugins")
    if not isinstance(listed, list):
        return []
    builtin = set(PLUGIN_NAMES)
    foreign = [(i, n) for i, n in enumerate(listed) if isinstance(n, str) and n not in builtin]
    if not foreign:
        return []
    installed = entry_point_plugins()
    problems: list[Problem] = []
    extensions: list[PluginExtension] = []
    for index, name in foreign:
        here = pointer("x-specway-plugins", index)
        ep = installed.get(name)
        if ep is None:
            problems.append(_unknown(here, name, installed))
            continue
        try:
            cls = ep.load()
        except Exception as exc:  # a broken third-party package: report it, don't crash lint
            problems.append(
                Problem(
                    here,
                    f"plugin {name!r} ({ep.value}) failed to load: {type(exc).__name__}: {exc}",
                    f"reinstall the package that provides it, or remove {name!r}",
                )
            )
            continue
        try:
            extension = describe(name, cls)
            if extension is not None:
                Draft7Validator.check_schema(dict(extension.schema))
        except PluginContractError as exc:
            problems.append(
                Problem(here, f"plugin {name!r} ({ep.value}) breaks the contract: {exc}", _FIX)
            )
            continue
        except SchemaError as exc:
            problems.append(
                Problem(
                    here,
                    f"plugin {name!r} ({ep.value}) has an invalid extension_schema: {exc.message}",
                    _FIX,
                )
            )
            continue
        if extension is not None:
            extensions.append(extension)
    for extension in extensions:
        problems += extension_problems(document, extension)
    return problems


_FIX = "fix the plugin class (see docs/plugins.md), or remove it from x-specway-plugins"


def _unknown(here: str, name: str, installed: dict[str, Any]) -> Problem:
    names = [*PLUGIN_NAMES, *sorted(installed)]
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return Problem(
        here,
        f"unknown plugin {name!r}: not built in and no 'specway.plugins' entry point",
        f"{hint}installed plugins: {', '.join(names)}",
    )


def _nodes(document: dict[str, Any]) -> Iterator[tuple[ExtensionLevel, tuple[str, ...], Any]]:
    """The document, each path item and each operation, with their level and location."""
    yield "document", (), document
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        yield "path", ("paths", path), item
        for method in _METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                yield "operation", ("paths", path, method), op


def extension_problems(document: dict[str, Any], extension: PluginExtension) -> list[Problem]:
    """``extension``'s key checked at every level it appears: placement, then its schema."""
    problems: list[Problem] = []
    for level, at, node in _nodes(document):
        if extension.key not in node:
            continue
        here = pointer(*at, extension.key)
        if level not in extension.levels:
            problems.append(
                Problem(
                    here,
                    f"{extension.key} is not allowed at the {level} level "
                    f"(plugin {extension.plugin!r} reads it at: {', '.join(extension.levels)})",
                    "move it to the right level",
                )
            )
            continue
        problems += schema_problems(here, extension.schema, node[extension.key])
    return problems


__all__ = ["extension_problems", "plugin_problems"]
