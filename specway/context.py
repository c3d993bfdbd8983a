"""What a handler may ask: the database, the current request's principal and id, the app state.

Connexion's ``ContextMiddleware`` exposes the ASGI scope in a context variable; specway's outer
middleware put the app state and request id into that scope.

A handler reaches the framework's database through :func:`database`, typed
:class:`~specway.storage.Database`, and its rows through the resource's store
(:class:`specway.storage.store.TableStore`, or statements built once with
:class:`~specway.storage.prepared.Prepared` and run by ``Database.records`` / ``rows`` /
``write``: one round trip each on PostgreSQL; see ``docs/performance.md``)::

    from specway import context

    class BookStore(TableStore):
        resource = Resource(table=BOOKS, name="book", id_prefix="book", keys=(...), ...)

    async def get_book(book_id: str) -> tuple[dict[str, Any], int]:
        principal = context.principal()
        return await BookStore(context.database()).get(principal.organization_id, book_id), 200

``Database.transaction(work)`` runs synchronous Core statements in one transaction, for work
a store's statements do not express; ``Database.session()`` (an ORM ``AsyncSession``) is for
the CLI and scripts, not the request path. The tables are the project's own, created by its
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
    """The app's database: what stores run their statements on (``records``, ``rows``,
    ``write``, ``transaction``; see :class:`~specway.storage.Database`)."""
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
