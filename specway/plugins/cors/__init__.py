"""The ``cors`` plugin: browser pages on other origins may call the API, as ``x-specway-cors``
says.

```yaml
x-specway-plugins: [request_id, errors, cors, auth, ratelimit]
x-specway-cors:
  origins: [https://app.example.com, "https://*.example.dev"]
  credentials: false
  max_age: 600
```

It installs :class:`CorsMiddleware` as an outer wrapper (inside ``request_id``, so every answer
has an id; outside Connexion), so a preflight is answered before routing, authentication and
rate limiting, and every response, the 401s and 429s those stages render included, gets its
``Access-Control-Allow-Origin``. Configuration: the spec's ``x-specway-cors``;
``SPECWAY_CORS_ORIGINS``, when set, replaces its ``origins`` for one deployment (the methods,
headers and credentials stay the spec's). No origin at all, or ``*`` with credentials, fails
at startup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from specway.builder import AppBuilder
from specway.plugins.cors.middleware import CorsMiddleware
from specway.plugins.cors.policy import SAFELISTED_HEADERS, CorsPolicy
from specway.settings import Settings
from specway.spec import SpecModel
from specway.spec.extensions import CorsConfig

__all__ = ["SAFELISTED_HEADERS", "CorsMiddleware", "CorsPlugin", "CorsPolicy"]


class CorsPlugin:
    """Plans the CORS policy at startup and wraps the app in :class:`CorsMiddleware`."""

    name = "cors"

    def __init__(
        self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings
    ) -> None:
        self.spec = spec_model
        declared = spec_model.cors or CorsConfig.of({}, spec_model.used_methods())
        self.policy = CorsPolicy.plan(declared, settings.cors_origins)

    def install(self, builder: AppBuilder) -> None:
        builder.wrap(CorsMiddleware, policy=self.policy, errors=self.spec.errors)
