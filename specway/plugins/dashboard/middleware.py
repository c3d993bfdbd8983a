"""``DashboardMiddleware``: answers the dashboard's paths, passes everything else on.

An outer wrapper (inside ``request_id``, so every page has a request id and ``X-Request-ID``;
outside Connexion, so the pages need no API credential and count against no API limit). An
unexpected exception becomes a plain error page naming the request id, never a traceback.
"""

from __future__ import annotations

import logging

from starlette.requests import Request

from specway.plugins.dashboard.pages import Dashboard
from specway.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger("specway.dashboard")

_FAILED = "Something went wrong on our side. Try again; if it persists, quote the request id."


class DashboardMiddleware:
    def __init__(self, app: ASGIApp, *, dashboard: Dashboard) -> None:
        self.app = app
        self.dashboard = dashboard
        self.config = dashboard.config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.config.owns(str(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.dashboard.dispatch(request)
        except Exception:
            logger.exception("dashboard page %s %s failed", scope.get("method"), scope["path"])
            response = self.dashboard.error_page(request, 500, _FAILED)
        await response(scope, receive, send)
