"""The one table of built-in plugins: name, class, install order, required, default, extension.

Every list of plugin names specway keeps is a view of :data:`BUILTIN_PLUGINS`: the spec room's
``x-specway-plugins`` enum and default (:mod:`specway.spec.extensions`, :mod:`specway.spec.model`)
and the runtime registry's lookup dict, install order and required set
(:mod:`specway.plugins.registry`). Adding a plugin is one row here.

Why here, under ``specway.spec``: the spec room may import only itself (and stdlib, yaml, the
validators), while the registry may import the spec room. So the table lives where both can
read it, and holds plain strings only: ``target`` is ``"module:Class"``, imported lazily by the
registry, never by this module.

Third-party plugins are the ``specway.plugins`` entry points of the installed distributions
(:func:`entry_point_plugins`, read with :mod:`importlib.metadata`, nothing imported); a
built-in name always wins over an entry point of the same name. :func:`describe` reads what
lint needs from a loaded plugin class (its extension key, JSON Schema and levels) without
importing anything of specway's runtime here: the class is duck-typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal

ENTRY_POINT_GROUP = "specway.plugins"

ExtensionLevel = Literal["document", "path", "operation"]
EXTENSION_LEVELS: tuple[ExtensionLevel, ...] = ("document", "path", "operation")


@dataclass(frozen=True, slots=True)
class PluginEntry:
    """One built-in plugin.

    ``required``: installed whatever the spec lists. ``default``: in the ``x-specway-plugins``
    list a spec gets when it declares none. ``extension_key``: the ``x-specway-*`` key the plugin
    reads (its JSON Schema is ``specway.spec.extensions.SCHEMAS[extension_key]``), if any.
    """

    name: str
    target: str
    required: bool = False
    default: bool = False
    extension_key: str | None = None


# In install order: middleware two plugins add at the same stage nests in this order
# (first = outer); outer wrappers too.
BUILTIN_PLUGINS: tuple[PluginEntry, ...] = (
    PluginEntry(
        "request_id", "specway.plugins.request_id:RequestIdPlugin", required=True, default=True
    ),
    PluginEntry("metrics", "specway.plugins.metrics:MetricsPlugin", default=True),
    # Decides by SPECWAY_ACCESS_LOG whether it adds anything.
    PluginEntry("access_log", "specway.plugins.access_log:AccessLogPlugin", required=True),
    PluginEntry(
        "errors",
        "specway.plugins.errors:ErrorsPlugin",
        required=True,
        default=True,
        extension_key="x-specway-errors",
    ),
    # Outside versioning, so a 406 for an unserved version still carries the CORS headers.
    PluginEntry("cors", "specway.plugins.cors:CorsPlugin", extension_key="x-specway-cors"),
    # Decides by x-specway-versioning whether it adds anything.
    PluginEntry(
        "versioning",
        "specway.plugins.versioning:VersioningPlugin",
        required=True,
        extension_key="x-specway-versioning",
    ),
    PluginEntry(
        "auth", "specway.plugins.auth:AuthPlugin", default=True, extension_key="x-specway-auth"
    ),
    PluginEntry(
        "ratelimit",
        "specway.plugins.ratelimit:RateLimitPlugin",
        default=True,
        extension_key="x-specway-ratelimit",
    ),
    PluginEntry(
        "idempotency",
        "specway.plugins.idempotency:IdempotencyPlugin",
        default=True,
        extension_key="x-specway-idempotency",
    ),
    PluginEntry(
        "audit",
        "specway.plugins.audit:AuditPlugin",
        default=True,
        extension_key="x-specway-audit",
    ),
    PluginEntry("project_metrics", "specway.plugins.project_metrics:ProjectMetricsPlugin"),
    PluginEntry(
        "webhooks",
        "specway.plugins.webhooks:WebhooksPlugin",
        default=True,
        extension_key="x-specway-events",
    ),
    # Last: its pages use the auth, ratelimit, audit and webhooks services installed above.
    PluginEntry(
        "dashboard",
        "specway.plugins.dashboard:DashboardPlugin",
        extension_key="x-specway-dashboard",
    ),
)

# The views. Names in install order throughout.
PLUGIN_NAMES: tuple[str, ...] = tuple(p.name for p in BUILTIN_PLUGINS)
REQUIRED_PLUGINS: tuple[str, ...] = tuple(p.name for p in BUILTIN_PLUGINS if p.required)
DEFAULT_PLUGINS: tuple[str, ...] = tuple(p.name for p in BUILTIN_PLUGINS if p.default)
EXTENSION_KEYS: dict[str, str] = {
    p.name: p.extension_key for p in BUILTIN_PLUGINS if p.extension_key is not None
}


def entry_point_plugins() -> dict[str, EntryPoint]:
    """The installed third-party plugins: name → ``specway.plugins`` entry point (not loaded).

    Names of built-ins are left out (the built-in wins). Read fresh on every call: a plugin
    installed while the process runs is found by the next lint or app.
    """
    builtin = set(PLUGIN_NAMES)
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name not in builtin}


def installed_plugin_names() -> tuple[str, ...]:
    """Every plugin a spec may enable: the built-ins in install order, then the entry points'
    names sorted."""
    return PLUGIN_NAMES + tuple(sorted(entry_point_plugins()))


@dataclass(frozen=True, slots=True)
class PluginExtension:
    """What a third-party plugin reads from the spec: its key, JSON Schema and levels."""

    plugin: str
    key: str
    schema: Mapping[str, Any]
    levels: tuple[ExtensionLevel, ...]


class PluginContractError(ValueError):
    """A loaded plugin class that breaks the contract (the message says how)."""


def describe(name: str, cls: Any) -> PluginExtension | None:
    """The extension ``cls`` (the plugin class of entry point ``name``) declares, if any.

    Checks the parts of the contract lint relies on: ``name`` equals the entry point's name,
    ``install`` is callable, and an ``extension_key`` is an ``x-`` key outside specway's own
    ``x-specway-`` namespace, with a mapping ``extension_schema`` and known
    ``extension_levels``. Raises :class:`PluginContractError` otherwise.
    """
    declared = getattr(cls, "name", None)
    if declared != name:
        raise PluginContractError(
            f"its class {getattr(cls, '__qualname__', cls)!r} has name {declared!r}, "
            f"not the entry point's {name!r}"
        )
    if not callable(getattr(cls, "install", None)):
        raise PluginContractError("its class has no install(builder) method")
    key = getattr(cls, "extension_key", None)
    if key is None:
        return None
    if not isinstance(key, str) or not key.startswith("x-") or key.startswith("x-specway-"):
        raise PluginContractError(
            f"extension_key {key!r} must start with 'x-' and not with 'x-specway-' "
            "(specway's own namespace)"
        )
    if key in BUILTIN_EXTENSION_KEYS:
        raise PluginContractError(f"extension_key {key!r} is a built-in extension")
    schema = getattr(cls, "extension_schema", None)
    if not isinstance(schema, Mapping):
        raise PluginContractError(
            f"extension_key {key!r} has no extension_schema (a JSON Schema mapping)"
        )
    levels = tuple(getattr(cls, "extension_levels", ("document",)))
    unknown = [lv for lv in levels if lv not in EXTENSION_LEVELS]
    if unknown or not levels:
        raise PluginContractError(
            f"extension_levels {levels!r}: use some of {', '.join(EXTENSION_LEVELS)}"
        )
    return PluginExtension(name, key, schema, levels)


# Extension keys other specs and tools commonly use: never a third-party plugin's.
BUILTIN_EXTENSION_KEYS: frozenset[str] = frozenset({"x-webhooks"})
