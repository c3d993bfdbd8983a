"""The ``auth`` plugin: API keys, user sessions, scopes, organisations and tenant isolation.

``install`` plugs the ``bearerAuth``/``tokenAuth`` handlers into Connexion's security stage
(:mod:`plugins.auth.security`), registers the :class:`AuthRuntime` as ``services["auth"]`` and
its lifespan hooks. Every operation's required scopes come from its ``security`` in the spec;
unknown scopes or unsupported scheme types fail at startup.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from connexion.exceptions import OAuthProblem

from specway.builder import AppBuilder
from specway.errors import ConfigError
from specway.plugins.auth.mode import ModeHeaderMiddleware
from specway.plugins.auth.runtime import AuthRuntime
from specway.plugins.auth.sandbox_reset import DEFAULT_INTERVAL, SandboxResetTask
from specway.plugins.auth.security import challenge_handler, security_map
from specway.settings import Settings
from specway.spec import SpecModel
from specway.stages import Stage

__all__ = ["AuthPlugin", "AuthRuntime"]


def check_security(spec: SpecModel) -> None:
    """Every scheme an operation uses is one we verify, and every scope is one the spec declares
    (when ``x-specway-auth.scopes`` lists them; otherwise the operations' scopes are the set)."""
    problems: list[str] = []
    for op in spec.operations.values():
        for requirement in op.security:
            for scheme_name, scopes in requirement.schemes:
                scheme = spec.security_schemes.get(scheme_name) or {}
                kind = (scheme.get("type"), str(scheme.get("scheme", "")).lower())
                if kind != ("http", "bearer") and scheme.get("type") != "apiKey":
                    problems.append(
                        f"{op.pointer}/security: scheme {scheme_name!r} is not http/bearer or "
                        "apiKey; the auth plugin verifies only those"
                    )
                unknown = spec.scopes.unknown(scopes)
                if unknown:
                    problems.append(
                        f"{op.pointer}/security: unknown scope {', '.join(unknown)!r}; "
                        f"x-specway-auth.scopes declares {spec.scopes.listing()}"
                    )
    if problems:
        raise ConfigError(f"{spec.file}: " + "\n  ".join(problems))


class AuthPlugin:
    """Authenticates every operation that declares ``security`` and enforces its scopes."""

    name = "auth"
    # Its tables' Alembic revisions (specway.storage.migrate), applied only when enabled.
    migrations: ClassVar[Path] = Path(__file__).parent / "migrations"

    def __init__(
        self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings
    ) -> None:
        self.config = dict(config)
        self.spec = spec_model
        self.settings = settings

    def install(self, builder: AppBuilder) -> None:
        check_security(self.spec)
        config = dict(self.config)
        reset_interval = float(config.pop("sandbox_reset_interval", DEFAULT_INTERVAL))
        runtime = AuthRuntime(self.spec, self.settings, builder.state.database, **config)
        builder.state.services["auth"] = runtime
        builder.security_map.update(security_map(runtime.authenticator))
        builder.add_error_handler(OAuthProblem, challenge_handler(self.spec.errors))
        builder.add_middleware(ModeHeaderMiddleware, Stage.RESPONSES)
        builder.on_startup(runtime.start)
        builder.on_shutdown(runtime.stop)
        reset_after = self.spec.auth.sandbox.reset_after
        if reset_after is not None and self.spec.auth.sandbox.isolated:
            resets = SandboxResetTask(builder.state.database, reset_after, reset_interval)
            builder.state.services["sandbox_reset"] = resets
            builder.on_startup(resets.start)
            builder.on_shutdown(resets.stop)
        ping = getattr(runtime.backend, "ping", None)
        if ping is not None:
            builder.state.services.setdefault("health_checks", {}).setdefault("redis", ping)
