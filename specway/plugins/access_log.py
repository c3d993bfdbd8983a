"""The ``access_log`` plugin: one structured log line per request (``specway.access``).

Under ``specway serve`` the JSON formatter of :mod:`specway.logs` turns each record into one JSON
object: request id, operationId, method, path, status, duration in ms, principal id, client IP.
Never the query string (it may carry tokens) and never a header. Off with
``SPECWAY_ACCESS_LOG=false``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from specway.builder import AppBuilder
from specway.plugins.request_record import (
    client_ip,
    final_status,
    install_probe,
    observe_status,
    record_of,
)
from specway.settings import Settings
from specway.spec import SpecModel
from specway.types import SCOPE_REQUEST_ID, ASGIApp, Receive, Scope, Send

logger = logging.getLogger("specway.access")


class AccessLogMiddleware:
    """Logs each finished HTTP request at INFO, after its last byte (or its failure)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        record = record_of(scope)
        # Taken now: mounted apps inside move the base path into root_path on this same scope.
        path = scope.get("root_path", "") + scope["path"]
        try:
            await self.app(scope, receive, observe_status(record, send))
        finally:
            status = final_status(record)
            principal = record.principal()
            logger.info(
                "%s %s %s",
                scope["method"],
                path,
                status,
                extra={
                    "request_id": scope.get(SCOPE_REQUEST_ID),
                    "operation_id": record.operation_id,
                    "method": scope["method"],
                    "path": path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - record.started) * 1000, 2),
                    "principal_id": principal.id if principal else None,
                    "organization_id": principal.organization_id if principal else None,
                    "client_ip": client_ip(scope, record),
                },
            )


class AccessLogPlugin:
    """Installs :class:`AccessLogMiddleware` when ``settings.access_log`` (the default)."""

    name = "access_log"

    def __init__(
        self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings
    ) -> None:
        self.enabled = settings.access_log

    def install(self, builder: AppBuilder) -> None:
        if not self.enabled:
            return
        install_probe(builder)
        builder.wrap(AccessLogMiddleware)
