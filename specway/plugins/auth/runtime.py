"""``AuthRuntime``: the auth plugin's per-app service (``state.services["auth"]``).

Holds what handlers and the security handlers share (key format, hasher, password parameters,
cache, authenticator) and runs two background tasks: the revocation poller, which clears the
cache within ``poll_interval`` seconds of any process calling :meth:`AuthRuntime.invalidate`,
and the batched ``last_used_at`` writer.
"""

from __future__ import annotations

import asyncio
import logging

from specway.errors import StorageError
from specway.plugins.auth.authenticator import Authenticator
from specway.plugins.auth.backends import RevocationBackend, revocation_backend
from specway.plugins.auth.cache import CredentialCache
from specway.plugins.auth.hashing import CredentialHasher
from specway.plugins.auth.keys import KeyFormat
from specway.plugins.auth.passwords import ScryptParams
from specway.plugins.auth.usage import UsageRecorder
from specway.settings import Settings
from specway.spec import SpecModel
from specway.storage.database import Database
from specway.tasks import cancel_and_wait

logger = logging.getLogger("specway.auth")

# Poll often enough that a revocation reaches every process well within one second.
POLL_INTERVAL = 0.2
USAGE_FLUSH_INTERVAL = 5.0


class AuthRuntime:
    """Shared auth services of one app instance."""

    def __init__(
        self,
        spec: SpecModel,
        settings: Settings,
        database: Database,
        *,
        backend: RevocationBackend | None = None,
        poll_interval: float = POLL_INTERVAL,
        usage_interval: float = USAGE_FLUSH_INTERVAL,
    ) -> None:
        self.spec = spec
        self.settings = settings
        self.database = database
        self.key_format = KeyFormat(spec.auth.key_prefix, spec.auth.test_key_prefix)
        self.hasher = CredentialHasher.from_settings(settings)
        self.password_params = ScryptParams(log_n=settings.auth_scrypt_log_n)
        self.plans = tuple(spec.ratelimit.tiers)
        self.default_plan = spec.ratelimit.default_tier
        self.cache = CredentialCache(settings.auth_cache_size)
        self.usage = UsageRecorder(database, usage_interval)
        self.backend = backend or revocation_backend(
            settings.redis_url, settings.redis_socket_timeout
        )
        self.poll_interval = poll_interval
        self.authenticator = Authenticator(
            database=database,
            hasher=self.hasher,
            key_format=self.key_format,
            cache=self.cache,
            usage=self.usage,
            scopes=spec.scopes,
            default_tier=self.default_plan,
            isolated_sandbox=spec.auth.sandbox.isolated,
        )
        self._version: int | None = None
        self._poller: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._check_version()
        self._poller = asyncio.create_task(self._poll(), name="specway-auth-revocations")
        self.usage.start()

    async def stop(self) -> None:
        await cancel_and_wait(self._poller)
        self._poller = None
        await self.usage.stop()
        await self.backend.close()

    async def invalidate(self) -> None:
        """Drop cached credentials here now and in every other process within a second.

        Call after committing a revocation, a logout or a membership change.
        """
        self.cache.clear()
        try:
            self._version = await self.backend.bump()
        except StorageError:
            logger.warning("could not announce a revocation; other processes rely on cache TTL")

    async def _check_version(self) -> None:
        try:
            version = await self.backend.version()
        except StorageError:
            if self.authenticator.cache_trusted:
                logger.warning("revocation backend unreachable; authenticating from the database")
            self.authenticator.cache_trusted = False
            self.cache.clear()
            return
        if not self.authenticator.cache_trusted:
            logger.info("revocation backend reachable again; caching credentials")
            self.authenticator.cache_trusted = True
        if version != self._version:
            if self._version is not None:
                self.cache.clear()
            self._version = version

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            try:
                await self._check_version()
            except Exception:  # the poller must survive anything
                logger.exception("revocation poll failed")
