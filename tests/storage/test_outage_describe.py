"""``outage.describe``: what a 503's log line says of the error behind it."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import OperationalError

from specway.storage.outage import describe


def test_the_drivers_first_line_without_the_statement_or_its_parameters() -> None:
    exc = OperationalError(
        "INSERT INTO users (email, password_hash) VALUES (?, ?)",
        ("someone@example.com", "scrypt$secret"),
        sqlite3.OperationalError("database is locked"),
        hide_parameters=True,
    )
    assert describe(exc) == "OperationalError: database is locked"
    assert describe(TimeoutError()) == "TimeoutError"
    assert describe(ConnectionError("refused\nmore")) == "ConnectionError: refused"
