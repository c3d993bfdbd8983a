"""Who is calling, for handlers: the principal (required) and the auth plugin's runtime."""

from __future__ import annotations

from specway import context
from specway.errors import ServiceUnavailable, Unauthorized
from specway.plugins.auth import AuthRuntime
from specway.principal import Principal


def current_principal() -> Principal:
    """The authenticated principal; 401 if the operation was (wrongly) left public."""
    principal = context.principal()
    if principal is None or principal.organization_id is None:
        raise Unauthorized()
    return principal


def auth_runtime() -> AuthRuntime:
    """The auth plugin's runtime; 503 when the spec does not enable the plugin."""
    try:
        runtime: AuthRuntime = context.app_state().service("auth")
    except KeyError:
        raise ServiceUnavailable("The auth plugin is not enabled") from None
    return runtime
