"""``is_outage``: does an exception mean a backend is unreachable (503) rather than a bug (500)?

Drivers report a database that is down, shutting down or starting in several shapes:
SQLAlchemy's ``OperationalError`` or an invalidated ``DBAPIError``, a pool timeout, a socket's
``ConnectionError`` or a timeout, or (asyncpg while connecting) a raw server error such as
``CannotConnectNowError`` ("the database system is shutting down") that SQLAlchemy does not wrap.
The SQLSTATE classes 08 (connection exception), 53 (insufficient resources, e.g. too many
connections) and 57P (operator intervention: admin/crash shutdown, cannot connect now) identify
the raw ones, here or anywhere in the exception's explicit cause chain (``raise ... from``).
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from specway.errors import StorageError

OUTAGE_SQLSTATES = ("08", "53", "57P")


def is_outage(exc: BaseException) -> bool:
    """True when ``exc`` (or its cause) says a backend is unavailable, not that code is wrong."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(
            current, StorageError | OperationalError | PoolTimeout | ConnectionError | TimeoutError
        ):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(OUTAGE_SQLSTATES):
            return True
        current = current.__cause__
    return False


def describe(exc: BaseException) -> str:
    """``OperationalError: database is locked``: the type and the first line of the driver's
    message (statements and their parameters, on later lines, are left out), for the log line
    of a 503."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    first = text.splitlines()[0][:200] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
