"""Settings: every ``SPECWAY_*`` environment variable, with every default, in one dataclass."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specway.errors import ConfigError

if TYPE_CHECKING:
    from specway.crypto import SecretBox

logger = logging.getLogger("specway.settings")


def _csv(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _bool(value: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


@dataclass(frozen=True, slots=True)
class Settings:
    """Runtime settings. ``Settings.from_env()`` reads ``SPECWAY_<FIELD>`` for each field."""

    environment: str = "development"
    spec_path: str = "openapi.yaml"
    database_url: str = "sqlite+aiosqlite:///./specway.db"
    # ``redis://host:6379/0``; a Redis Cluster: ``redis+cluster://host:port`` (any one node),
    # see :mod:`specway.redis_clients`.
    redis_url: str | None = None
    redis_socket_timeout: float = 0.25
    # Prefix of every rate-limit key in Redis (several deployments can share one Redis).
    ratelimit_key_prefix: str = "specway:rl:"
    secret_key: str | None = None
    secret_key_file: str = ".specway-secret-key"  # noqa: S105 - a file name
    # Older keys still accepted for decryption while rotating (comma-separated).
    previous_secret_keys: tuple[str, ...] = ()
    auto_migrate: bool = True
    max_body_size: int = 1024 * 1024
    trusted_proxies: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    webhook_allowed_networks: tuple[str, ...] = ()
    webhook_allow_http: bool = False
    webhook_worker: bool = True
    webhook_timeout: float = 15.0
    metrics_enabled: bool = True
    metrics_token: str | None = None
    access_log: bool = True
    db_pool_size: int = 10
    db_timeout: float = 5.0
    auth_cache_size: int = 10_000
    # Allocations between young-generation collections, set once per process at startup
    # (Python's default: 700); 0 leaves the interpreter's setting alone.
    gc_threshold: int = 20_000
    # scrypt N = 2**auth_scrypt_log_n for new password hashes (see plugins/auth/passwords.py).
    auth_scrypt_log_n: int = 15
    # Per-project traffic metrics and request logs (plugin ``project_metrics``).
    project_metrics_retention_days: int = 30
    project_logs_retention_days: int = 7
    project_metrics_flush_interval: float = 1.0
    log_stream_max_seconds: float = 300.0
    log_stream_heartbeat: float = 15.0
    # Background deployments: a step running longer than this fails the deployment.
    deployment_timeout: float = 600.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Read settings from ``environ`` (default ``os.environ``); ``overrides`` win."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        problems = []
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = env.get(f"SPECWAY_{f.name.upper()}")
            if raw is None:
                continue
            kind = str(f.type)
            try:
                if "tuple" in kind:
                    values[f.name] = _csv(raw)
                elif kind.startswith("bool"):
                    values[f.name] = _bool(raw)
                elif kind.startswith("int"):
                    values[f.name] = int(raw)
                elif kind.startswith("float"):
                    values[f.name] = float(raw)
                else:
                    values[f.name] = raw or None if "None" in kind else raw
            except ValueError as exc:
                problems.append(f"SPECWAY_{f.name.upper()}: {exc}")
        if problems:
            raise ConfigError("invalid settings: " + "; ".join(problems))
        values.update(overrides)
        return cls(**values)

    def resolved_secret_key(self) -> str:
        """The key for encryption and hashing. Development falls back to a generated key file."""
        if self.secret_key:
            return self.secret_key
        if self.production:
            raise ConfigError("SPECWAY_SECRET_KEY is required when SPECWAY_ENVIRONMENT=production")
        path = Path(self.secret_key_file)
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        key = secrets.token_urlsafe(32)
        path.write_text(key + "\n", encoding="utf-8")
        path.chmod(0o600)
        logger.warning("SPECWAY_SECRET_KEY is not set; generated a development key in %s", path)
        return key


def secret_box(settings: Settings, purpose: str = "secrets-at-rest") -> SecretBox:
    """The :class:`~specway.crypto.SecretBox` for ``settings``' current and previous keys."""
    from specway.crypto import SecretBox

    return SecretBox([settings.resolved_secret_key(), *settings.previous_secret_keys], purpose)
