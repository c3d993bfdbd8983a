"""The ``idempotency`` plugin: ``Idempotency-Key`` on POST (default) and opted-in PATCH calls.

``x-specway-idempotency: true|false`` on an operation (or path) opts in or out; POST is in by
default. Records live in Redis when ``SPECWAY_REDIS_URL`` is set (shared by every worker), else
in a bounded in-process store. Plugin config: ``ttl`` (86400 s), ``lock_ttl`` (60 s),
``failure`` (``closed``: 503 when Redis is down; ``open``: run without idempotency),
``max_entries`` (memory backend, 10000), ``max_response_bytes`` (1 MiB; larger responses are
not stored).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from specway.builder import AppBuilder
from specway.errors import ConfigError
from specway.plugins.idempotency.backends import Existing, IdempotencyBackend, backend_for
from specway.plugins.idempotency.middleware import IdempotencyMiddleware, IdempotencyOptions
from specway.settings import Settings, secret_box
from specway.spec import SpecModel
from specway.stages import Stage

__all__ = [
    "Existing",
    "IdempotencyBackend",
    "IdempotencyMiddleware",
    "IdempotencyOptions",
    "IdempotencyPlugin",
]

_METHODS = ("post", "patch", "put", "delete")


class IdempotencyPlugin:
    """Installs :class:`IdempotencyMiddleware` for every operation that opts in."""

    name = "idempotency"

    def __init__(
        self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings
    ) -> None:
        self.spec = spec_model
        self.settings = settings
        failure = config.get("failure", "closed")
        if failure not in ("open", "closed"):
            raise ConfigError(f"idempotency failure mode must be open or closed, not {failure!r}")
        self.options = IdempotencyOptions(
            ttl=float(config.get("ttl", 24 * 3600)),
            lock_ttl=float(config.get("lock_ttl", 60.0)),
            failure=failure,
            max_response_bytes=int(config.get("max_response_bytes", 1024 * 1024)),
        )
        self.max_entries = int(config.get("max_entries", 10_000))

    def install(self, builder: AppBuilder) -> None:
        operations = frozenset(
            op.operation_id
            for op in self.spec.operations.values()
            if op.idempotency and op.method in _METHODS
        )
        backend = backend_for(self.settings, max_entries=self.max_entries)
        builder.add_middleware(
            IdempotencyMiddleware,
            Stage.AUTHENTICATED,
            operations=operations,
            backend=backend,
            box=secret_box(self.settings, "idempotency"),
            errors=self.spec.errors,
            options=self.options,
        )
        builder.on_shutdown(backend.close)
        builder.state.services["idempotency"] = backend
        if self.settings.redis_url:
            builder.state.services.setdefault("health_checks", {}).setdefault("redis", backend.ping)
