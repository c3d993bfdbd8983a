"""Where plugin names are looked up: the built-in table, then entry points.

The built-ins are one table, :data:`specway.spec.plugin_names.BUILTIN_PLUGINS` (it lives in the
spec room so ``x-specway-plugins`` validation reads the same names); ``BUILTIN``,
``INSTALL_ORDER`` and ``REQUIRED`` here are views of it. ``INSTALL_ORDER`` is the order plugins
are installed in, whatever order the spec lists them in; middleware added at the same stage
nests in this order (first = outer). Third-party plugins are the ``specway.plugins`` entry
points (:func:`specway.spec.plugin_names.entry_point_plugins`); they install after the
built-ins, in the order the spec lists them.
"""

from __future__ import annotations

import importlib
from typing import Any

from specway.errors import ConfigError
from specway.spec.plugin_names import (
    BUILTIN_PLUGINS,
    PLUGIN_NAMES,
    REQUIRED_PLUGINS,
    PluginContractError,
    describe,
    entry_point_plugins,
    installed_plugin_names,
)

# name -> "module:Class"; imported lazily so an unused plugin costs nothing. A plain dict so
# tests can register a stub plugin with ``monkeypatch.setitem``.
BUILTIN: dict[str, str] = {p.name: p.target for p in BUILTIN_PLUGINS}

INSTALL_ORDER: tuple[str, ...] = PLUGIN_NAMES

# Always installed: without them no request id or envelope exists.
REQUIRED: tuple[str, ...] = REQUIRED_PLUGINS


def plugin_class(name: str) -> Any:
    """The plugin class for ``name``; ``ConfigError`` naming the plugin if it can't be loaded."""
    target = BUILTIN.get(name)
    if target is None:
        ep = entry_point_plugins().get(name)
        if ep is None:
            raise ConfigError(
                f"unknown plugin {name!r}: not built in and no 'specway.plugins' entry point "
                f"(installed plugins: {', '.join(installed())})"
            )
        cls = ep.load()
        try:
            describe(name, cls)
        except PluginContractError as exc:
            raise ConfigError(f"plugin {name!r} ({ep.value}) breaks the contract: {exc}") from None
        return cls
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ConfigError(
                f"plugin {name!r} is not available in this build ({module_name})"
            ) from None
        raise
    return getattr(module, attr)


def installed() -> tuple[str, ...]:
    """Every plugin name a spec may enable: built-ins in install order, then entry points."""
    return installed_plugin_names()


def ordered(names: tuple[str, ...]) -> list[str]:
    """``names`` plus the required plugins, in install order (unknown extras last, as given)."""
    wanted = list(dict.fromkeys((*REQUIRED, *names)))
    known = [n for n in INSTALL_ORDER if n in wanted]
    return known + [n for n in wanted if n not in INSTALL_ORDER]
