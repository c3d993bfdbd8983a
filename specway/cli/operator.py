"""What the operator's commands (``specway keys``, ``specway orgs``) share: the project's
database, migrated like a gateway would, and the announcement of an auth change to every
running gateway (the revocation channel: Redis, or nothing to tell with in-memory backends)."""

from __future__ import annotations

import sys

from specway.errors import StorageError
from specway.plugins.auth.backends import revocation_backend
from specway.settings import Settings
from specway.storage.database import Database


async def open_database(settings: Settings) -> Database:
    """The project's database, checked and (``SPECWAY_AUTO_MIGRATE``) migrated."""
    db = Database(settings.database_url, timeout=settings.db_timeout)
    await db.check()
    if settings.auto_migrate:
        await db.migrate(settings.spec_path)
    return db


async def announce_auth_change(settings: Settings, what: str) -> None:
    """Tell running gateways to drop cached keys and plans; a warning naming ``what`` if the
    channel is down (the change is stored; gateways pick it up when their caches expire)."""
    backend = revocation_backend(settings.redis_url, settings.redis_socket_timeout)
    try:
        await backend.bump()
    except StorageError:
        print(f"warning: could not announce the {what} to running gateways", file=sys.stderr)
    finally:
        await backend.close()
