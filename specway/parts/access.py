"""Who is calling, for handlers: the principal (required) and the auth plugin's runtime."""

from __future__ import annotations

from specway import context
from specway.errors import Unauthorized
from specway.plugins.auth import AuthRuntime
from specway.principal import Principal


def current_principal() -> Principal:
    """The authenticated principal; 401 if the operation was (wrongly) left public."""
    principal = context.principal()
    if principal is None or principal.organization_id is None:
        raise Unauthorized()
    return principal


def auth_runtime() -> AuthRuntime:
    runtime: AuthRuntime = context.app_state().service("auth")
    return runtime
