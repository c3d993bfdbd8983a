"""What a handler may ask: the database, the current request's principal and id, the app state.

Connexion's ``ContextMiddleware`` exposes the ASGI scope in a context variable; specway's outer
middleware put the app state and request id into that scope.

A handler reaches the framework's database through :func:`database`, typed
:class:`~specway.storage.Database`::

    from specway import context

    async def get_book(book_id: str) -> dict[str, Any]:
        async with context.database().session() as session:  # an AsyncSession
            book = await session.get(Book, book_id)
        ...

    async def create_book(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        async with context.database().session() as session, session.begin():
            session.add(Book(**body))  # committed when the block ends
        ...

``Database.read(work)`` and ``Database.transaction(work)`` run synchronous Core statements on a
connection in one hop, for hot paths. The tables are the project's own, created by its
``migrations/`` (``specway db revision`` / ``specway db upgrade``).
"""

from __future__ import annotations

from typing import cast

from specway.compat import connexion_current_scope
from specway.principal import Principal, principal_from_scope
from specway.spec import OperationModel
from specway.state import AppState
from specway.storage.database import Database
from specway.types import SCOPE_CLIENT_IP, SCOPE_REQUEST_ID, SCOPE_STATE, Scope, operation_id


def current_scope() -> Scope:
    # The scope itself, not Connexion's proxy to it: each lookup through the proxy costs
    # about a microsecond, and a handler makes several.
    return cast(Scope, connexion_current_scope())


def app_state() -> AppState:
    return cast(AppState, current_scope()[SCOPE_STATE])


def database() -> Database:
    """The app's database: ``session()`` for an ``AsyncSession``, ``read``/``transaction`` for
    Core statements (see :class:`~specway.storage.Database`)."""
    return cast(AppState, current_scope()[SCOPE_STATE]).database


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
