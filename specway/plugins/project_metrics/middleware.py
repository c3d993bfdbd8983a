"""``ProjectTrafficMiddleware``: attribute each request under ``/v1/projects/{project_id}/…``.

It sits outside Connexion's exception handling (``Stage.RESPONSES``), so it sees the final
status of every response, rendered errors included. The operation and its ``project_id`` path
parameter come from Connexion's routing, which writes them into dicts this middleware puts into
the scope beforehand (Connexion's scope copies share them). Latency is measured to the start of
the response, which keeps long-lived streams out of the latency figures. Only authenticated
requests are recorded: a 401 writes nothing, so unauthenticated traffic cannot fill the tables.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from specway.plugins.project_metrics.recorder import LogLine, TrafficRecorder, level_for_status
from specway.principal import principal_from_scope
from specway.types import (
    SCOPE_REQUEST_ID,
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    operation_id,
    request_path,
)

_PROJECT_ID = re.compile(r"^[A-Za-z0-9_]{1,40}$")


@dataclass(frozen=True, slots=True)
class OperationPlan:
    """What to record for one operation, decided once at startup."""

    audit_action: str | None


class ProjectTrafficMiddleware:
    """Records request counts, latency and a log line per project request."""

    def __init__(
        self, app: ASGIApp, *, recorder: TrafficRecorder, plans: dict[str, OperationPlan]
    ) -> None:
        self.app = app
        self.recorder = recorder
        self.plans = plans

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Shared with the copies Connexion's routing makes, so its results land in them. Kept
        # by reference: routers below may rebind ``scope["path_params"]`` to a dict of theirs.
        extensions = scope.setdefault("extensions", {})
        path_params = scope.setdefault("path_params", {})
        started = time.perf_counter()
        recorded = False

        async def send_and_record(message: Message) -> None:
            nonlocal recorded
            if message["type"] == "http.response.start" and not recorded:
                recorded = True
                self._record(scope, extensions, path_params, int(message["status"]), started)
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        except BaseException:
            if not recorded:
                recorded = True
                self._record(scope, extensions, path_params, 500, started)
            raise

    def _record(
        self,
        scope: Scope,
        extensions: dict[str, Any],
        path_params: dict[str, Any],
        status: int,
        started: float,
    ) -> None:
        op_id = operation_id({"extensions": extensions})
        plan = self.plans.get(op_id) if op_id else None
        if plan is None:
            return
        project_id = path_params.get("project_id")
        if not isinstance(project_id, str) or not _PROJECT_ID.match(project_id):
            return
        principal = principal_from_scope({"extensions": extensions})
        if principal is None:
            # Unauthenticated (a refused credential, or none): nothing is written for it; the
            # audit log records auth failures. Otherwise anyone could fill the tables.
            return
        organization_id = principal.organization_id or ""
        request_id = scope.get(SCOPE_REQUEST_ID)
        method = str(scope["method"])
        timestamp = self.recorder.record_request(
            project_id,
            organization_id,
            method=method,
            path=request_path(scope),
            status=status,
            latency_ms=(time.perf_counter() - started) * 1000,
            request_id=request_id,
        )
        if plan.audit_action is not None:
            actor = principal.id
            self.recorder.record_line(
                LogLine(
                    project_id,
                    organization_id,
                    timestamp,
                    level_for_status(status),
                    "audit",
                    f"{plan.audit_action} by {actor}: {status}",
                    request_id,
                )
            )
