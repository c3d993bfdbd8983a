"""The gateway's own sandbox reset: every ``interval`` seconds, empty the sandboxes whose data
is older than ``x-specway-auth.sandbox.reset_after`` (seed 002: "test data automatically reset
daily"), so no cron job is needed. ``specway sandbox reset`` does the same on demand.

Every gateway process runs it; that is harmless, a reset only deletes and stamps ``reset_at``,
and a sandbox another process just reset is no longer due. Failures are logged and retried at
the next tick, never raised into the app.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from specway.plugins.auth.sandbox import SandboxReset, reset_due
from specway.storage.database import Database
from specway.tasks import cancel_and_wait

logger = logging.getLogger("specway.auth.sandbox")

# Often enough that a sandbox is reset within a small fraction of its period.
DEFAULT_INTERVAL = 600.0


class SandboxResetTask:
    """Background task resetting due sandboxes of one app."""

    def __init__(
        self, database: Database, reset_after: int, interval: float = DEFAULT_INTERVAL
    ) -> None:
        self.database = database
        self.period = timedelta(seconds=reset_after)
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> list[SandboxReset]:
        """Reset every due sandbox now; what was reset."""
        period = self.period
        done = await self.database.transaction(lambda connection: reset_due(connection, period))
        for reset in done:
            logger.info(
                "sandbox reset",
                extra={
                    "organization_id": reset.organization_id,
                    "sandbox_organization_id": reset.sandbox_organization_id,
                    "rows_deleted": sum(reset.deleted.values()),
                },
            )
        return done

    async def _run(self) -> None:
        # The first reset waits one interval: a starting gateway (or a test app) does no extra
        # database work, and a fleet restarting together does not reset in step.
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.run_once()
            except Exception:  # the task must survive a database outage
                logger.exception("sandbox reset failed; retrying at the next interval")

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="specway-sandbox-reset")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
