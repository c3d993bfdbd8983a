"""Every use specway makes of a private Connexion, Starlette or SQLAlchemy API, in one place.

Each function or class here wraps one private name (an underscored attribute, method or
argument) of the pinned versions; ``tests/core/test_compat.py`` checks each one against the
installed libraries, so an upgrade that moves one fails there, by name, rather than somewhere
on a request path. Code elsewhere in specway calls these, never the private names.

``SPECWAY_FAST_PATHS=0`` (:func:`fast_paths`) turns off what these serve on the request path
(the hand-built SQLite and PostgreSQL statement paths, the prepared request validation, the
memoised spec check) and falls back to the libraries' plain paths, for debugging.

Private attributes are read or set here, once, at startup (an app's inner app, a request
validation operation's validator map, Connexion's spec check), so nothing on a request path
pays a call through this module. The subclasses that override a private method (a hook
Connexion or SQLAlchemy calls on itself) keep their override next to their own logic and list
it in :data:`PRIVATE_OVERRIDES`; the same test checks each exists on the pinned version and that
every such override in specway is listed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from connexion.apps.asynchronous import AsyncApp, AsyncASGIApp
from connexion.context import scope as _connexion_scope
from connexion.decorators import parameter as _connexion_parameter
from connexion.middleware.request_validation import RequestValidationOperation
from connexion.spec import Specification
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL, Connection, Dialect, Engine
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util import queue as _sqla_queue

FAST_PATHS_ENV = "SPECWAY_FAST_PATHS"


def fast_paths() -> bool:
    """Whether the fast paths are on (``SPECWAY_FAST_PATHS``, default on; ``0`` turns off).

    Read from the environment each time it is asked (at startup, not per request), so a test
    or a CLI command can switch it without building new settings; ``Settings.fast_paths``
    documents it and validates its value.
    """
    return os.environ.get(FAST_PATHS_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


# --- Connexion -------------------------------------------------------------------------------


def connexion_current_scope() -> Any:
    """The current request's ASGI scope, not Connexion's context-variable proxy to it
    (``LocalProxy._get_current_object``): a lookup through the proxy costs about 1 µs."""
    return _connexion_scope._get_current_object()


# Steps of Connexion's ``get_arguments`` (``connexion.decorators.parameter``), which
# ``specway.arguments`` plans once per operation and runs per request. They are bound here, at
# import, so a request pays no call through this module.

#: ``_get_val_from_param(value, definition)``: a path or query value cast by its definition.
param_value: Callable[[Any, dict[str, Any]], Any] = _connexion_parameter._get_val_from_param
#: ``_get_query_defaults(definitions)``: the query parameters' defaults, by name.
query_defaults: Callable[[dict[str, dict[str, Any]]], dict[str, Any]] = (
    _connexion_parameter._get_query_defaults
)
#: ``_get_body_argument(body, *, operation, arguments, has_kwargs, sanitize, content_type)``:
#: the body's handler argument(s) (a form body's fields by name).
body_argument: Callable[..., dict[str, Any]] = _connexion_parameter._get_body_argument
#: ``_get_file_arguments(files, arguments, body_schema, has_kwargs)``: form files by name.
file_arguments: Callable[..., dict[str, Any]] = _connexion_parameter._get_file_arguments


def replace_inner_app(app: AsyncApp, inner: AsyncASGIApp) -> None:
    """Make ``inner`` the app Connexion's ``AsyncApp`` routes operations to: both the app's own
    reference (``AsyncApp._middleware_app``, where ``add_url_rule`` and ``add_api`` go) and
    the middleware stack's innermost app (``ConnexionMiddleware.app``, public)."""
    app._middleware_app = inner
    app.middleware.app = inner


def validator_map(operation: RequestValidationOperation) -> dict[str, Any]:
    """The validators a request validation operation uses: Connexion's defaults updated with
    the app's ``validator_map`` (``RequestValidationOperation._validator_map``)."""
    found: dict[str, Any] = operation._validator_map
    return found


SpecCheck = Callable[[type[Specification], Any], None]


def spec_check() -> SpecCheck:
    """The check Connexion runs on every spec it loads, as a plain function of
    ``(class, document)`` (the classmethod ``Specification._validate_spec``)."""
    check: SpecCheck = Specification.__dict__["_validate_spec"].__func__
    return check


def replace_spec_check(check: SpecCheck) -> None:
    """Make ``check`` the one Connexion runs on every spec it loads
    (``Specification._validate_spec``, a classmethod)."""
    Specification._validate_spec = classmethod(check)


# (class, private method) pairs specway's subclasses override: hooks the library calls on
# itself. ``tests/core/test_compat.py`` checks each still exists and that this list names
# every private override in specway.
PRIVATE_OVERRIDES: tuple[tuple[str, str], ...] = (
    # specway.plugins.errors.validation.JSONBodyValidator: orjson, every error listed
    ("connexion.validators.json.JSONRequestBodyValidator", "_parse"),
    ("connexion.validators.json.JSONRequestBodyValidator", "_validate"),
    ("connexion.validators.json.JSONRequestBodyValidator", "_validator"),
    # specway.plugins.errors.validation.MultipartBodyValidator: a malformed body is a 400
    ("connexion.validators.form_data.MultiPartFormDataValidator", "_parse"),
    # specway.dispatch._Responder: the operation's content types bound at startup
    ("connexion.decorators.response.AsyncResponseDecorator", "_infer_content_type"),
    # FreeFirstQueuePool, below
    ("sqlalchemy.pool.AsyncAdaptedQueuePool", "_do_get"),
)


# --- SQLAlchemy ------------------------------------------------------------------------------


def has_cursor_events(connection: Connection) -> bool:
    """SQLAlchemy's own test for "any listener at all" before it dispatches cursor events
    (``Connection._has_events`` / ``Engine._has_events``)."""
    return bool(connection._has_events or connection.engine._has_events)


def json_deserializer(dialect: Dialect) -> Any:
    """The engine's ``json_deserializer`` (``Dialect._json_deserializer``), or ``None``."""
    return getattr(dialect, "_json_deserializer", None)


def connection_without_revalidation(engine: Engine, pooled: Any) -> Connection:
    """A ``Connection`` of ``engine`` around a pooled DBAPI connection of another pool, never
    revalidated (``_allow_revalidate=False``): revalidating would take a connection from the
    engine's own pool and keep it."""
    return Connection(engine, pooled, _allow_revalidate=False)


def is_file_sqlite(url: URL) -> bool:
    """Whether a SQLite URL names a file, not memory
    (``SQLiteDialect_pysqlite._is_url_file_db``)."""
    return bool(SQLiteDialect_pysqlite._is_url_file_db(url))


class FreeFirstQueuePool(AsyncAdaptedQueuePool):
    """SQLAlchemy's async queue pool, handing out a free connection without waiting.

    The library's pool always waits on its queue once its connections exist, which costs a
    trip through the event loop's queue even when a connection is free; this one takes a free
    connection at once (``QueuePool._do_get``, ``QueuePool._pool``) and waits as before when
    none is. With fast paths off it is the library's pool unchanged.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.free_first = fast_paths()

    def _do_get(self) -> Any:
        if self.free_first:
            try:
                return self._pool.get_nowait()
            except _sqla_queue.Empty:
                pass
        return super()._do_get()


class SoftCloseKeepsRows:
    """A DBAPI cursor mixin for an async-marked synchronous driver (the in-loop SQLite one):
    SQLAlchemy's async result calls ``cursor._async_soft_close()`` right after execute, which
    must leave the rows to be read."""

    async def _async_soft_close(self) -> None:
        """Keep the rows: they are still to be read."""
