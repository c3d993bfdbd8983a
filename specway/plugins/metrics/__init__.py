"""The ``metrics`` plugin: Prometheus ``/metrics`` and per-request counters and latencies.

Its middleware wraps the whole Connexion app right inside ``request_id``, so it sees every
response, errors rendered by the envelope and 500s included. It serves ``GET /metrics`` itself,
before routing, so a scrape costs no spec lookup, authentication or rate limit. Settings:
``SPECWAY_METRICS_ENABLED`` (default on) and ``SPECWAY_METRICS_TOKEN`` (when set, scrapes need
``Authorization: Bearer <token>``).
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Mapping
from typing import Any

from specway.builder import AppBuilder
from specway.plugins.errors import ErrorBody, send_error
from specway.plugins.metrics import counters
from specway.plugins.metrics.exposition import Exposition
from specway.plugins.request_record import final_status, install_probe, observe_status, record_of
from specway.settings import Settings
from specway.spec import ErrorsConfig, SpecModel
from specway.types import SCOPE_REQUEST_ID, ASGIApp, Receive, Scope, Send, header

__all__ = ["MetricsMiddleware", "MetricsPlugin", "counters"]

logger = logging.getLogger("specway.metrics")


class MetricsMiddleware:
    """Counts every request by operation, method and status; answers scrapes at ``path``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        exposition: Exposition,
        errors: ErrorsConfig,
        path: str = "/metrics",
        token: str | None = None,
    ) -> None:
        self.app = app
        self.exposition = exposition
        self.errors = errors
        self.path = path
        self.expected = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == self.path and scope["method"] in ("GET", "HEAD"):
            await self.scrape(scope, send)
            return
        record = record_of(scope)
        try:
            await self.app(scope, receive, observe_status(record, send))
        finally:
            status = final_status(record)
            counters.request(
                record.operation_id, scope["method"], status, time.perf_counter() - record.started
            )

    async def scrape(self, scope: Scope, send: Send) -> None:
        if self.expected is not None:
            given = header(scope, b"authorization") or b""
            if not hmac.compare_digest(given, self.expected):
                error = ErrorBody(
                    401,
                    "unauthorized",
                    "A valid metrics token is required",
                    request_id=str(scope.get(SCOPE_REQUEST_ID, "")),
                )
                await send_error(send, self.errors, error, {"WWW-Authenticate": "Bearer"})
                return
        accept = (header(scope, b"accept") or b"").decode("latin-1")
        body, content_type = self.exposition.render(accept)
        headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )


class MetricsPlugin:
    """Installs :class:`MetricsMiddleware` when ``settings.metrics_enabled``."""

    name = "metrics"

    def __init__(
        self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings
    ) -> None:
        self.spec = spec_model
        self.settings = settings
        self.path = str(config.get("path", "/metrics"))

    def install(self, builder: AppBuilder) -> None:
        if not self.settings.metrics_enabled:
            return
        if self.settings.production and not self.settings.metrics_token:
            logger.warning("metrics are served without a token; set SPECWAY_METRICS_TOKEN")
        install_probe(builder)
        builder.wrap(
            MetricsMiddleware,
            exposition=Exposition(),
            errors=self.spec.errors,
            path=self.path,
            token=self.settings.metrics_token,
        )
