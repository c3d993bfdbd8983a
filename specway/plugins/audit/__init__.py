"""The ``audit`` plugin: who did what, to which resource, from where, with what result.

Every mutating call (and reads that name an ``x-specway-audit`` action) and every
authentication failure becomes one ``audit_logs`` row: timestamp, actor (user id, API key id),
organisation, client IP, operationId, method, path, target type and id, status, request id and
redacted details — never a password, token, variable value or webhook secret (see
:mod:`plugins.audit.redact`; operations whose request schema has a secret-named field keep only
the body's field names). Rows are written off the request path by :class:`AuditWriter`.
``x-specway-audit: false`` on an operation turns it off.

Plugin config: ``max_queue`` (10000), ``batch_size`` (500), ``min_interval`` (0.05 s between
batch writes), ``shutdown_timeout`` (10 s). A handler that reads the audit log awaits
:func:`written_so_far` first, so a caller sees its own earlier requests' rows (rows queued by
other worker processes show up once their writer's batch is in, within ``min_interval``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from specway.builder import AppBuilder
from specway.plugins.audit.middleware import AuditMiddleware, AuthFailureAudit, annotate
from specway.plugins.audit.plan import AuditPlan, build_plans, derive_action, plan_for
from specway.plugins.audit.writer import AuditWriter
from specway.settings import Settings
from specway.spec import SpecModel
from specway.stages import Stage

__all__ = [
    "AuditPlan",
    "AuditPlugin",
    "AuditWriter",
    "annotate",
    "derive_action",
    "written_so_far",
]

_UNKNOWN = AuditPlan(
    action="request.called",
    target_type="request",
    target_param=None,
    parent_params=(),
    keep_body=False,
    body_fields_only=True,
    id_from_response=False,
)


class AuditPlugin:
    """Installs the audit middleware pair and the background writer."""

    name = "audit"
    # Its tables' Alembic revisions (specway.storage.migrate), applied only when enabled.
    migrations: ClassVar[Path] = Path(__file__).parent / "migrations"

    def __init__(
        self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings
    ) -> None:
        self.spec = spec_model
        self.max_queue = int(config.get("max_queue", 10_000))
        self.batch_size = int(config.get("batch_size", 500))
        self.min_interval = float(config.get("min_interval", 0.05))
        self.shutdown_timeout = float(config.get("shutdown_timeout", 10.0))

    def install(self, builder: AppBuilder) -> None:
        writer = AuditWriter(
            builder.state.database,
            max_queue=self.max_queue,
            batch_size=self.batch_size,
            min_interval=self.min_interval,
            shutdown_timeout=self.shutdown_timeout,
        )
        every_plan = {
            op.operation_id: plan_for(self.spec, op) for op in self.spec.operations.values()
        }
        builder.add_middleware(
            AuthFailureAudit,
            Stage.ROUTED,
            plans=every_plan,
            unknown=_UNKNOWN,
            submit=writer.submit,
        )
        builder.add_middleware(
            AuditMiddleware,
            Stage.AUTHENTICATED,
            plans=build_plans(self.spec),
            submit=writer.submit,
        )
        builder.on_startup(writer.start)
        builder.on_shutdown(writer.stop)
        builder.state.services["audit"] = writer


async def written_so_far(services: Mapping[str, object]) -> None:
    """Wait until the audit rows this process has queued so far are written (or given up on).

    ``services``: the app state's services; without the audit plugin there is nothing to wait
    for.
    """
    writer = services.get("audit")
    if isinstance(writer, AuditWriter):
        await writer.flush()
