"""Where plugin names are looked up: built-ins in one plain dict, then entry points.

``INSTALL_ORDER`` is the explicit order plugins are installed in, whatever order the spec lists
them in; middleware added at the same Connexion position nests in this order (first = outer).
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from specway.errors import ConfigError

# name -> "module:Class"; imported lazily so an unused plugin costs nothing.
BUILTIN: dict[str, str] = {
    "request_id": "specway.plugins.request_id:RequestIdPlugin",
    "errors": "specway.plugins.errors:ErrorsPlugin",
    "versioning": "specway.plugins.versioning:VersioningPlugin",
    "metrics": "specway.plugins.metrics:MetricsPlugin",
    "access_log": "specway.plugins.access_log:AccessLogPlugin",
    "cors": "specway.plugins.cors:CorsPlugin",
    "auth": "specway.plugins.auth:AuthPlugin",
    "ratelimit": "specway.plugins.ratelimit:RateLimitPlugin",
    "idempotency": "specway.plugins.idempotency:IdempotencyPlugin",
    "audit": "specway.plugins.audit:AuditPlugin",
    "project_metrics": "specway.plugins.project_metrics:ProjectMetricsPlugin",
    "webhooks": "specway.plugins.webhooks:WebhooksPlugin",
}

INSTALL_ORDER: tuple[str, ...] = (
    "request_id",
    "metrics",
    "access_log",
    "errors",
    "versioning",
    "cors",
    "auth",
    "ratelimit",
    "idempotency",
    "audit",
    "project_metrics",
    "webhooks",
)

# Always installed: without them no request id or envelope exists. ``access_log`` decides by
# ``SPECWAY_ACCESS_LOG`` whether it adds anything, ``versioning`` by ``x-specway-versioning``.
REQUIRED: tuple[str, ...] = ("request_id", "access_log", "errors", "versioning")


def plugin_class(name: str) -> Any:
    """The plugin class for ``name``; ``ConfigError`` naming the plugin if it can't be loaded."""
    target = BUILTIN.get(name)
    if target is None:
        for ep in entry_points(group="specway.plugins"):
            if ep.name == name:
                return ep.load()
        raise ConfigError(
            f"unknown plugin {name!r}: not built in and no 'specway.plugins' entry point"
        )
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


def ordered(names: tuple[str, ...]) -> list[str]:
    """``names`` plus the required plugins, in install order (unknown extras last, as given)."""
    wanted = list(dict.fromkeys((*REQUIRED, *names)))
    known = [n for n in INSTALL_ORDER if n in wanted]
    return known + [n for n in wanted if n not in INSTALL_ORDER]
