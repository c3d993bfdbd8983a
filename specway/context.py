"""What a handler may ask about the current request: app state, request id, principal.

Connexion's ``ContextMiddleware`` exposes the ASGI scope in a context variable; specway's outer
middleware put the app state and request id into that scope.
"""

from __future__ import annotations

from typing import cast

from connexion.context import scope as connexion_scope

from specway.principal import Principal, principal_from_scope
from specway.spec import OperationModel
from specway.state import AppState
from specway.types import SCOPE_CLIENT_IP, SCOPE_REQUEST_ID, SCOPE_STATE, Scope, operation_id


def current_scope() -> Scope:
    # The scope itself, not Connexion's proxy to it: each lookup through the proxy costs
    # about a microsecond, and a handler makes several.
    return cast(Scope, connexion_scope._get_current_object())


def app_state() -> AppState:
    return cast(AppState, current_scope()[SCOPE_STATE])


def request_id() -> str:
    return str(current_scope().get(SCOPE_REQUEST_ID, ""))


def client_ip() -> str:
    scope = current_scope()
    if SCOPE_CLIENT_IP in scope:
        return str(scope[SCOPE_CLIENT_IP])
    client = scope.get("client")
    return str(client[0]) if client else ""


def principal() -> Principal | None:
    """The authenticated principal (set by the auth plugin), or ``None`` for public calls."""
    return principal_from_scope(current_scope())


def operation() -> OperationModel:
    """The current operation's model (from Connexion's routing result)."""
    op_id = operation_id(current_scope())
    if op_id is None:
        raise LookupError("no operation matched this request")
    return app_state().spec.operation(op_id)


def path() -> str:
    """The request path as the client sent it (root path included)."""
    scope = current_scope()
    return str(scope.get("root_path", "")) + str(scope.get("path", ""))
