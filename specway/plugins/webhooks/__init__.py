"""The ``webhooks`` plugin: spec-declared events, a transactional outbox, signed deliveries.

* :mod:`.catalogue` — event types and payload schemas from ``x-webhooks``;
* :mod:`.outbox` — :func:`emit_event`, called by handlers inside their transaction;
* :mod:`.subscriptions`, :mod:`.deliveries` — endpoints, the attempt log, redeliver/recover;
* :mod:`.worker` — claims due deliveries with a lease and sends them (:mod:`.sender`, signed
  by :mod:`.signing`, retried per :mod:`.schedule`, guarded by :mod:`.ssrf`).

Installed, the plugin puts a :class:`WebhookService` in ``state.services["webhooks"]``, makes
the app's sessions carry it (so ``emit_event(session, …)`` finds it) and, when
``settings.webhook_worker`` is on, runs a worker as a background task of the app. For scale run
``specway webhooks worker`` processes instead (several may share one PostgreSQL). Delivery is
at-least-once: receivers should dedupe on the ``webhook-id`` header.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from specway.builder import AppBuilder
from specway.errors import ConfigError
from specway.plugins.webhooks.catalogue import EventCatalogue, EventPayloadError, matches
from specway.plugins.webhooks.outbox import attach, emit_event, emit_events, write_with_event
from specway.plugins.webhooks.service import WebhookService
from specway.plugins.webhooks.worker import WebhookWorker
from specway.settings import Settings
from specway.spec import SpecModel
from specway.storage.database import Database
from specway.tasks import cancel_and_wait

__all__ = [
    "EventCatalogue",
    "EventPayloadError",
    "WebhookService",
    "WebhookWorker",
    "WebhooksPlugin",
    "emit_event",
    "emit_events",
    "matches",
    "worker_options",
    "write_with_event",
]

logger = logging.getLogger("specway.webhooks")

_OPTIONS = {"poll_interval": float, "batch_size": int, "lease_seconds": float}


def worker_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """Worker keyword arguments from the plugin config; ``ConfigError`` on unknown keys."""
    unknown = sorted(set(config) - set(_OPTIONS))
    if unknown:
        raise ConfigError(
            f"webhooks plugin: unknown option(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_OPTIONS))}"
        )
    options: dict[str, Any] = {}
    for key, kind in _OPTIONS.items():
        if key in config:
            try:
                value = kind(config[key])
            except (TypeError, ValueError):
                raise ConfigError(f"webhooks plugin: {key} must be a number") from None
            if value <= 0:
                raise ConfigError(f"webhooks plugin: {key} must be positive")
            options[key] = value
    if "lease_seconds" in options:
        options["lease"] = timedelta(seconds=options.pop("lease_seconds"))
    return options


class WebhooksPlugin:
    """Registers the webhooks service, session hook and (optionally) the in-process worker."""

    name = "webhooks"
    # Its tables' Alembic revisions (specway.storage.migrate), applied only when enabled.
    migrations: ClassVar[Path] = Path(__file__).parent / "migrations"

    def __init__(
        self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings
    ) -> None:
        self.settings = settings
        self.options = worker_options(config)
        self.service = WebhookService(EventCatalogue(spec_model), settings)
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._worker: WebhookWorker | None = None
        self._database: Database | None = None

    def install(self, builder: AppBuilder) -> None:
        builder.state.services["webhooks"] = self.service
        self._database = builder.state.database
        attach(self._database, self.service)
        if self.settings.webhook_worker:
            builder.on_startup(self._start)
            builder.on_shutdown(self._shutdown)

    async def _start(self) -> None:
        if self._database is None:
            raise RuntimeError("webhooks plugin started before install()")
        self._stop = asyncio.Event()
        self._worker = WebhookWorker(self._database, self.service, **self.options)
        self._task = asyncio.create_task(self._worker.run(self._stop), name="webhook-worker")
        logger.info("webhook worker started in-process")

    async def _shutdown(self) -> None:
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=self.settings.webhook_timeout + 5)
            except TimeoutError:
                await cancel_and_wait(self._task)
            self._task = None
        if self._worker is not None:
            await self._worker.sender.aclose()
            self._worker = None
