"""Lint of ``x-specway-plugins`` names and of the third-party plugins' extensions.

A name in ``x-specway-plugins`` must be a built-in (:data:`~specway.spec.plugin_names.
BUILTIN_PLUGINS`) or an installed ``specway.plugins`` entry point; otherwise the problem lists
every installed plugin. An enabled third-party plugin is loaded (its module imported) to read
its extension key, JSON Schema and levels (:func:`~specway.spec.plugin_names.describe`); its key
is then checked wherever it appears, like the built-in ``x-specway-*`` keys: every schema
mismatch with its pointer and a fix, the key at a level the plugin does not read, a plugin that
fails to load or breaks the contract, two enabled plugins reading the same key. A key that an
installed plugin reads while the document does not enable it is a warning (it has no effect).
Entry points are looked up only when the document names a plugin that is not built in or has an
``x-`` key outside specway's namespace, so most specs cost nothing extra.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError

from specway.spec.extensions import schema_problems
from specway.spec.methods import HTTP_METHODS
from specway.spec.plugin_names import (
    BUILTIN_EXTENSION_KEYS,
    PLUGIN_NAMES,
    ExtensionLevel,
    PluginContractError,
    PluginExtension,
    describe,
    entry_point_plugins,
)
from specway.spec.problems import Level, Problem, pointer


def plugin_problems(document: dict[str, Any]) -> list[Problem]:
    """Every problem of the plugin names and the enabled third-party plugins' extensions, and
    a warning for a key of an installed plugin the document does not enable."""
    listed = document.get("x-specway-plugins")
    names = listed if isinstance(listed, list) else []
    builtin = set(PLUGIN_NAMES)
    foreign = [(i, n) for i, n in enumerate(names) if isinstance(n, str) and n not in builtin]
    stray = _foreign_keys(document)
    if not foreign and not stray:
        return []
    installed = entry_point_plugins()
    problems: list[Problem] = []
    extensions: dict[str, PluginExtension] = {}
    for index, name in foreign:
        here = pointer("x-specway-plugins", index)
        ep = installed.get(name)
        if ep is None:
            problems.append(_unknown(here, name, installed))
            continue
        try:
            extension = _extension(name, ep)
        except _Broken as exc:
            problems.append(Problem(here, f"plugin {name!r} ({ep.value}) {exc}", _FIX))
            continue
        if extension is None:
            continue
        twin = extensions.get(extension.key)
        if twin is not None:
            problems.append(
                Problem(
                    here,
                    f"plugin {name!r} reads {extension.key}, which plugin {twin.plugin!r} "
                    "reads too",
                    f"enable only one of {twin.plugin} and {name}",
                )
            )
            continue
        extensions[extension.key] = extension
    for extension in extensions.values():
        problems += extension_problems(document, extension)
    unread = {key: at for key, at in stray.items() if key not in extensions}
    problems += _not_enabled(unread, installed, {n for _, n in foreign})
    return problems


class _Broken(Exception):
    """A third-party plugin that can't be used; the message says why."""


def _extension(name: str, ep: Any) -> PluginExtension | None:
    try:
        cls = ep.load()
    except Exception as exc:  # a broken third-party package: report it, don't crash lint
        raise _Broken(f"failed to load: {type(exc).__name__}: {exc}") from None
    try:
        extension = describe(name, cls)
        if extension is not None:
            Draft7Validator.check_schema(dict(extension.schema))
    except PluginContractError as exc:
        raise _Broken(f"breaks the contract: {exc}") from None
    except SchemaError as exc:
        raise _Broken(f"has an invalid extension_schema: {exc.message}") from None
    return extension


def _foreign_keys(document: dict[str, Any]) -> dict[str, str]:
    """``x-`` keys outside specway's namespace (and ``x-webhooks``): key → first pointer."""
    found: dict[str, str] = {}
    for _, at, node in _nodes(document):
        for key in node:
            if (
                isinstance(key, str)
                and key.startswith("x-")
                and not key.startswith("x-specway-")
                and key not in BUILTIN_EXTENSION_KEYS
            ):
                found.setdefault(key, pointer(*at, key))
    return found


def _not_enabled(
    stray: dict[str, str], installed: dict[str, Any], enabled: set[str]
) -> list[Problem]:
    """A warning per key that an installed, not enabled plugin reads: it does nothing."""
    if not stray:
        return []
    problems: list[Problem] = []
    for name, ep in sorted(installed.items()):
        if name in enabled:
            continue
        try:
            extension = _extension(name, ep)
        except _Broken:
            continue  # not enabled: its breakage is not this document's problem
        if extension is not None and extension.key in stray:
            problems.append(
                Problem(
                    stray[extension.key],
                    f"{extension.key} is read by plugin {name!r}, which x-specway-plugins "
                    "does not enable: it has no effect",
                    f"add {name} to x-specway-plugins, or remove {extension.key}",
                    Level.WARNING,
                )
            )
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
        for method in HTTP_METHODS:
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
