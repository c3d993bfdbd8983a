"""``WebhookService``: what the webhooks plugin shares between handlers, outbox and workers.

One per app (or per ``specway webhooks worker`` process): the event catalogue, settings, the
clock and retry schedule, the SSRF guard, the box that seals secrets at rest, and the wake-up
signal the outbox gives in-process workers after a commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from specway.crypto import SecretBox
from specway.ids import as_utc
from specway.plugins.webhooks.catalogue import EventCatalogue
from specway.plugins.webhooks.models import WebhookEndpoint
from specway.plugins.webhooks.schedule import Clock, RetrySchedule, system_clock
from specway.plugins.webhooks.ssrf import SSRFGuard
from specway.settings import Settings, secret_box

logger = logging.getLogger("specway.webhooks")

ROTATION_OVERLAP = timedelta(hours=24)


class WebhookService:
    """Configuration and shared helpers of the webhooks plugin."""

    def __init__(
        self,
        catalogue: EventCatalogue,
        settings: Settings,
        *,
        clock: Clock = system_clock,
        schedule: RetrySchedule | None = None,
        guard: SSRFGuard | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.settings = settings
        self.clock = clock
        self.schedule = schedule or RetrySchedule()
        self.guard = guard or SSRFGuard(
            settings.webhook_allowed_networks, allow_http=settings.webhook_allow_http
        )
        # A payload that breaks its schema raises in development; in production it is
        # logged and dropped, so a malformed delivery is never sent either way.
        self.strict_payloads = not settings.production
        self._box: SecretBox | None = None
        self._listeners: list[tuple[asyncio.AbstractEventLoop, Callable[[], None]]] = []

    def now(self) -> datetime:
        return as_utc(self.clock())

    @property
    def box(self) -> SecretBox:
        """The secrets-at-rest box (built on first use: it may create the development key)."""
        if self._box is None:
            self._box = secret_box(self.settings)
        return self._box

    def seal_secret(self, endpoint_id: str, secret: str) -> str:
        return self.box.seal(secret, associated_data=f"webhook:{endpoint_id}")

    def open_secret(self, endpoint_id: str, sealed: str) -> str:
        return self.box.open(sealed, associated_data=f"webhook:{endpoint_id}")

    def signing_secrets(self, endpoint: WebhookEndpoint, now: datetime) -> list[str]:
        """The endpoint's current secret, then the rotated-out one while it is still valid."""
        return self.secrets_of(
            endpoint.id,
            endpoint.secret,
            endpoint.previous_secret,
            endpoint.previous_secret_expires_at,
            now,
        )

    def secrets_of(
        self,
        endpoint_id: str,
        secret: str,
        previous: str | None,
        previous_expires_at: datetime | None,
        now: datetime,
    ) -> list[str]:
        """:meth:`signing_secrets` from the endpoint's columns (sealed values)."""
        found = [self.open_secret(endpoint_id, secret)]
        if previous and previous_expires_at is not None and as_utc(previous_expires_at) > now:
            found.append(self.open_secret(endpoint_id, previous))
        return found

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` (on its own loop) whenever new deliveries are committed."""
        entry = (asyncio.get_running_loop(), callback)
        self._listeners.append(entry)
        return lambda: self._listeners.remove(entry)

    def notify(self) -> None:
        """Wake in-process workers: something became due."""
        for loop, callback in list(self._listeners):
            if not loop.is_closed():
                loop.call_soon_threadsafe(callback)
