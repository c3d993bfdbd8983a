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


def _doc(meaning: str, default: str | None = None) -> dict[str, str]:
    """Field metadata for the generated table (``docs/configuration.md``): what the setting
    means and, where the bare value would mislead, how its default reads."""
    return {"doc": meaning} if default is None else {"doc": meaning, "default": default}


@dataclass(frozen=True, slots=True)
class Settings:
    """Runtime settings. ``Settings.from_env()`` reads ``SPECWAY_<FIELD>`` for each field.

    Each field's ``metadata["doc"]`` says what it means; ``specway codegen`` renders them into
    ``docs/configuration.md``.
    """

    environment: str = field(
        default="development",
        metadata=_doc(
            "`production` requires `SPECWAY_SECRET_KEY`, warns when `/metrics` has no token "
            "and logs (instead of raising) a webhook payload that breaks its schema"
        ),
    )
    spec_path: str = field(
        default="openapi.yaml",
        metadata=_doc("the OpenAPI document to serve (`specway serve --spec` sets it)"),
    )
    database_url: str = field(
        default="sqlite+aiosqlite:///./specway.db",
        metadata=_doc(
            "or `postgresql+asyncpg://user@host/db`. Any `sqlite` URL runs on the event loop's "
            "thread with one writers' connection per process (transactions queue for it, and "
            "those asked for together share one commit) and, for a file, a read-only one that "
            "reads use without waiting: right for one process or a few, PostgreSQL beyond",
            "`specway.db` (SQLite) in the spec's folder",
        ),
    )
    redis_url: str | None = field(
        default=None,
        metadata=_doc(
            "`redis://host:6379/0` for rate limits, revocation and idempotency across "
            "processes; a Redis Cluster: `redis+cluster://host:port` (any one node; "
            "`rediss+cluster://` with TLS)",
            "unset (in-memory backends)",
        ),
    )
    redis_socket_timeout: float = field(
        default=0.25,
        metadata=_doc(
            "seconds a Redis call may take before the rate limiter applies its failure mode"
        ),
    )
    ratelimit_key_prefix: str = field(
        default="specway:rl:",
        metadata=_doc("prefix of every rate-limit key in Redis (deployments can share one Redis)"),
    )
    secret_key: str | None = field(
        default=None,
        metadata=_doc(
            "keys secrets at rest and API-key hashes; required when "
            "`SPECWAY_ENVIRONMENT=production`",
            "development: generated into `SPECWAY_SECRET_KEY_FILE`",
        ),
    )
    secret_key_file: str = field(
        default=".specway-secret-key",
        metadata=_doc(
            "where development keeps its generated secret key (mode 0600)",
            "`.specway-secret-key` in the spec's folder",
        ),
    )
    previous_secret_keys: tuple[str, ...] = field(
        default=(),
        metadata=_doc("older keys still accepted for decryption while rotating", "none"),
    )
    auto_migrate: bool = field(
        default=True,
        metadata=_doc(
            "apply the migrations on start; off: run `specway db upgrade` before rolling out"
        ),
    )
    max_body_size: int = field(
        default=1024 * 1024,
        metadata=_doc("bytes; larger request bodies get 413, enforced while streaming"),
    )
    max_query_params: int = field(
        default=100,
        metadata=_doc(
            "`&`-separated query parameters a request may carry; more get 400 before any "
            "stage parses them"
        ),
    )
    trusted_proxies: tuple[str, ...] = field(
        default=(),
        metadata=_doc("CIDRs of proxies whose `X-Forwarded-For` is believed", "none"),
    )
    cors_origins: tuple[str, ...] = field(
        default=(),
        metadata=_doc(
            "origins the `cors` plugin allows (comma-separated, same forms as "
            "`x-specway-cors.origins`); when set it replaces the spec's list for this "
            "deployment (e.g. a staging front end), when unset the spec's list applies",
            "unset (the spec's `x-specway-cors.origins`)",
        ),
    )
    webhook_allowed_networks: tuple[str, ...] = field(
        default=(),
        metadata=_doc(
            "CIDRs exempt from the webhook SSRF guard, e.g. `127.0.0.1/32`",
            "none",
        ),
    )
    webhook_allow_http: bool = field(
        default=False, metadata=_doc("allow `http://` webhook URLs (local receivers)")
    )
    webhook_worker: bool = field(
        default=True,
        metadata=_doc(
            "each gateway process also delivers webhooks; turn off when `specway webhooks "
            "worker` processes do it"
        ),
    )
    webhook_timeout: float = field(
        default=15.0, metadata=_doc("seconds one webhook delivery attempt may take")
    )
    metrics_enabled: bool = field(
        default=True, metadata=_doc("serve Prometheus metrics at `/metrics`")
    )
    metrics_token: str | None = field(
        default=None,
        metadata=_doc("when set, `/metrics` needs `Authorization: Bearer <token>`", "unset (open)"),
    )
    access_log: bool = field(default=True, metadata=_doc("one JSON log line per request"))
    db_pool_size: int = field(
        default=10,
        metadata=_doc("PostgreSQL connections per process (and as many again in overflow)"),
    )
    db_timeout: float = field(
        default=5.0,
        metadata=_doc("seconds to connect to the database or wait for a pooled connection"),
    )
    fast_paths: bool = field(
        default=True,
        metadata=_doc(
            "the hand-built request paths: prebuilt statements on SQLite's raw cursor and on "
            "asyncpg's own pool for PostgreSQL, prepared request validation, the memoised spec "
            "check (`specway/compat.py`). `0` falls back to the libraries' plain paths "
            "(SQLAlchemy sessions, Connexion's validation), for debugging"
        ),
    )
    auth_cache_size: int = field(
        default=10_000,
        metadata=_doc("verified credentials kept in each process's cache (no query per request)"),
    )
    gc_threshold: int = field(
        default=20_000,
        metadata=_doc(
            "allocations between the garbage collector's young-generation passes, set once "
            "per process at startup (Python's default is 700; `0` keeps it)"
        ),
    )
    auth_scrypt_log_n: int = field(
        default=15,
        metadata=_doc("scrypt cost of new password hashes: N is 2 to the power of this"),
    )
    project_metrics_retention_days: int = field(
        default=30,
        metadata=_doc("per-project metric buckets kept this long (plugin `project_metrics`)"),
    )
    project_logs_retention_days: int = field(
        default=7, metadata=_doc("per-project request log lines kept this long")
    )
    project_metrics_flush_interval: float = field(
        default=1.0,
        metadata=_doc("seconds between batched writes of project metrics and logs"),
    )
    log_stream_max_seconds: float = field(
        default=300.0,
        metadata=_doc(
            "a `/logs/stream` connection ends after this; clients reconnect with `Last-Event-ID`"
        ),
    )
    log_stream_heartbeat: float = field(
        default=15.0, metadata=_doc("seconds between `: keep-alive` comments on a log stream")
    )
    deployment_timeout: float = field(
        default=600.0,
        metadata=_doc("seconds; a background deployment step running longer fails it"),
    )
    # Not read from the environment: options set in code by whoever builds the app.
    extra: dict[str, Any] = field(default_factory=dict, metadata={"env": False})

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Read settings from ``environ`` (default ``os.environ``); ``overrides`` win.

        Unset, the database (SQLite ``specway.db``) and the development key file are those in
        the spec's folder, not the current directory's.
        """
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
        # The embedded defaults live with the project, found from its spec: the same database
        # and development key whichever folder a command runs from.
        spec = str(values.get("spec_path") or cls.__dataclass_fields__["spec_path"].default)
        project = Path(spec).expanduser().resolve().parent
        values.setdefault("database_url", f"sqlite+aiosqlite:///{project / 'specway.db'}")
        values.setdefault("secret_key_file", str(project / ".specway-secret-key"))
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
