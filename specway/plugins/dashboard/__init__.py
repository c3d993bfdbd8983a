"""The ``dashboard`` plugin: web pages where an API's users manage API tokens and webhooks.

```yaml
x-specway-plugins: [request_id, errors, auth, ratelimit, audit, webhooks, dashboard]
x-specway-dashboard: {path: /dashboard, title: example.com dashboard, signup: true}
```

Server-rendered HTML (jinja2 templates in this package, no script): ``{path}/login`` (and
``{path}/signup``), ``{path}/api-tokens``, ``{path}/webhooks``, ``{path}/logout``. The pages use
the platform's own stores and rules (see :mod:`.pages`) and the browser-side protections of
:mod:`.security`. Sign-in attempts are limited per client IP with the ``ratelimit`` plugin's
limiter (its Redis when configured), or a limiter of the dashboard's own without that plugin.
Needs the ``auth`` plugin; the webhooks page appears with the ``webhooks`` plugin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from specway.builder import AppBuilder
from specway.errors import ConfigError
from specway.plugins.auth import AuthRuntime
from specway.plugins.dashboard.config import DashboardConfig
from specway.plugins.dashboard.middleware import DashboardMiddleware
from specway.plugins.dashboard.pages import Dashboard
from specway.plugins.ratelimit.backends import backend_for
from specway.plugins.ratelimit.limiter import RateLimiter
from specway.settings import Settings
from specway.spec import SpecModel

__all__ = ["Dashboard", "DashboardConfig", "DashboardMiddleware", "DashboardPlugin"]


class DashboardPlugin:
    """Plans the pages at startup and wraps the app in :class:`DashboardMiddleware`."""

    name = "dashboard"

    def __init__(
        self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings
    ) -> None:
        self.spec = spec_model
        self.settings = settings
        self.config = DashboardConfig.of(spec_model)

    def install(self, builder: AppBuilder) -> None:
        services = builder.state.services
        auth = services.get("auth")
        if not isinstance(auth, AuthRuntime):
            raise ConfigError(
                f"{self.spec.file}: the dashboard plugin signs users in through the auth "
                "plugin: add auth to x-specway-plugins"
            )
        limiter = services.get("ratelimit")
        if not isinstance(limiter, RateLimiter):
            limiter = RateLimiter(backend_for(self.settings))
            builder.on_shutdown(limiter.backend.close)
        dashboard = Dashboard(
            self.config,
            self.spec,
            builder.state,
            auth,
            limiter,
            self.settings.ratelimit_key_prefix,
        )
        builder.wrap(DashboardMiddleware, dashboard=dashboard)
