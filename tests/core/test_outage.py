"""``is_outage`` tells a backend that is down (503) from a bug (500)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from specway.errors import StorageError
from specway.storage.outage import is_outage


def _chained(outer: BaseException, cause: BaseException) -> BaseException:
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(
    "exc",
    [
        StorageError("database unreachable"),
        OperationalError("SELECT 1", {}, Exception("down")),
        ConnectionRefusedError(111, "refused"),
        TimeoutError(),
        # asyncpg raises these raw while connecting to a server that is stopping or starting.
        asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.exceptions.TooManyConnectionsError("too many clients"),
        _chained(RuntimeError("wrapped"), asyncpg.exceptions.CannotConnectNowError("starting up")),
    ],
)
def test_outages_are_recognised(exc: BaseException) -> None:
    assert is_outage(exc)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("a bug"),
        KeyError("a bug"),
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        DBAPIError("INSERT", {}, Exception("constraint"), connection_invalidated=False),
        FileNotFoundError("not a backend outage"),
    ],
)
def test_bugs_are_not_outages(exc: BaseException) -> None:
    assert not is_outage(exc)
