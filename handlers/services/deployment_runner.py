"""``DeploymentRunner``: the app's background task that moves deployments along.

Each submitted deployment gets its own task: claim it (``pending → in_progress``), run the
*step function*, then finish it (``completed``, its config becoming the project's active
config, or ``failed`` with the error) and emit the matching event. The step function is the
rollout itself and is injectable (``runner.step = ...``): it returns to succeed and raises to
fail. The default step has nothing external to roll out and succeeds; a platform that builds
or ships something plugs that in here. Tests replace it to choose outcomes and use
:meth:`DeploymentRunner.wait_idle` instead of sleeping.

On startup, pending deployments are resumed and ones left ``in_progress`` longer than the
timeout (a crashed process) are failed; on shutdown, running ones are failed as interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from handlers.services.deployment_store import DeploymentStore
from specway.plugins.webhooks.service import WebhookService
from specway.storage.database import Database

logger = logging.getLogger("specway.deployments")

LogSink = Callable[[str, str, str, str], None]


@dataclass(frozen=True, slots=True)
class DeploymentJob:
    """What a step function gets: the deployment being rolled out, and a log for it."""

    id: str
    project_id: str
    organization_id: str | None
    version: str
    config: dict[str, Any]
    rollback_of: str | None
    log: Callable[[str], None] = field(repr=False, compare=False)


StepFunction = Callable[[DeploymentJob], Awaitable[None]]


async def release(job: DeploymentJob) -> None:
    """The default step: nothing external to roll out, so the release succeeds at once."""
    job.log(f"Releasing {job.version}")


class DeploymentRunner:
    """Runs deployments in the background; ``step`` decides each one's outcome."""

    def __init__(
        self,
        database: Database,
        *,
        step: StepFunction = release,
        timeout: float = 600.0,
        log_sink: LogSink | None = None,
        webhooks: WebhookService | None = None,
    ) -> None:
        self.database = database
        self.store = DeploymentStore(database, webhooks)
        self.step = step
        self.timeout = timeout
        self.log_sink = log_sink
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, deployment_id: str) -> None:
        """Start moving ``deployment_id`` (committed, ``pending``) along in the background."""
        task = asyncio.get_running_loop().create_task(
            self.advance(deployment_id), name=f"deployment-{deployment_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_idle(self) -> None:
        """Return once no deployment is being moved along (for tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def advance(self, deployment_id: str) -> None:
        """Claim, run the step, finish. Errors of the step fail the deployment."""
        try:
            claimed = await self.store.claim(deployment_id)
            if claimed is None:
                return
            job = self._job(*claimed)
            job.log(f"Deployment {job.id} of {job.version} started")
            error: str | None = None
            try:
                async with asyncio.timeout(self.timeout):
                    await self.step(job)
            except TimeoutError:
                error = f"the deployment step timed out after {self.timeout:g} s"
            except asyncio.CancelledError:
                await asyncio.shield(self._finish(job, "interrupted: the gateway shut down"))
                raise
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:1000] or "step failed"
            await self._finish(job, error)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("deployment %s: runner error", deployment_id)

    async def _finish(self, job: DeploymentJob, error: str | None) -> None:
        found = await self.store.with_owner(job.id)
        if found is None or found[0]["status"] != "in_progress":
            return
        await self.store.finish(*found, error)
        if error is None:
            job.log(f"Deployment {job.id} of {job.version} completed")
        else:
            message = f"Deployment {job.id} of {job.version} failed: {error}"
            self._log(job.project_id, job.organization_id, "error", message)

    def _job(self, deployment: dict[str, Any], org: str | None) -> DeploymentJob:
        project_id = deployment["project_id"]
        return DeploymentJob(
            id=deployment["id"],
            project_id=project_id,
            organization_id=org,
            version=deployment["version"],
            config=dict(deployment["config"] or {}),
            rollback_of=deployment["rollback_of"],
            log=lambda message: self._log(project_id, org, "info", message),
        )

    def _log(self, project_id: str, organization_id: str | None, level: str, message: str) -> None:
        logger.info("project %s: %s", project_id, message)
        if self.log_sink is not None:
            self.log_sink(project_id, organization_id or "", level, message)

    async def start(self) -> None:
        """Resume pending deployments; fail those a crashed process left in progress."""
        stale, pending = await self.store.stale_and_pending(self.timeout)
        for deployment_id in stale:
            found = await self.store.with_owner(deployment_id)
            if found is not None and found[0]["status"] == "in_progress":
                await self.store.finish(*found, "interrupted: the gateway stopped")
        for deployment_id in pending:
            self.submit(deployment_id)

    async def stop(self) -> None:
        """Cancel running deployments (each is failed as interrupted) and wait for them."""
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.wait_idle()
