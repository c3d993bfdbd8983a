"""The one table of built-in plugins: name, class, install order, required, default, extension.

Every list of plugin names specway keeps is a view of :data:`BUILTIN_PLUGINS`: the spec room's
``x-specway-plugins`` enum and default (:mod:`specway.spec.extensions`, :mod:`specway.spec.model`)
and the runtime registry's lookup dict, install order and required set
(:mod:`specway.plugins.registry`). Adding a plugin is one row here.

Why here, under ``specway.spec``: the spec room may import only itself (and stdlib, yaml, the
validators), while the registry may import the spec room. So the table lives where both can
read it, and holds plain strings only: ``target`` is ``"module:Class"``, imported lazily by the
registry, never by this module.
"""

from __future__ import annotations

from dataclasses import dataclass


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
)

# The views. Names in install order throughout.
PLUGIN_NAMES: tuple[str, ...] = tuple(p.name for p in BUILTIN_PLUGINS)
REQUIRED_PLUGINS: tuple[str, ...] = tuple(p.name for p in BUILTIN_PLUGINS if p.required)
DEFAULT_PLUGINS: tuple[str, ...] = tuple(p.name for p in BUILTIN_PLUGINS if p.default)
EXTENSION_KEYS: dict[str, str] = {
    p.name: p.extension_key for p in BUILTIN_PLUGINS if p.extension_key is not None
}
