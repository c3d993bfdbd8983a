"""Prefixed, unguessable string ids (``proj_…``, ``key_…``) and RFC 3339 UTC timestamps."""

from __future__ import annotations

import base64
import os
import time
from datetime import UTC, datetime

from specway.errors import BadRequest


def new_id(prefix: str) -> str:
    """``<prefix>_`` + 80 random bits in lower-case base32 (16 characters)."""
    return f"{prefix}_{base64.b32encode(os.urandom(10)).decode('ascii').lower()}"


def new_sortable_id(prefix: str) -> str:
    """``<prefix>_`` + 26 characters that sort by creation time (to the millisecond).

    48 bits of milliseconds since the epoch, then 80 random bits, in base32 with the "extended
    hex" alphabet (``0-9a-v``), whose order is the bytes' order. For rows written in bulk (audit
    entries): their primary-key index grows at its end instead of in a random page per row.
    """
    stamp = (time.time_ns() // 1_000_000).to_bytes(6, "big")
    return f"{prefix}_{base64.b32hexencode(stamp + os.urandom(10)).decode('ascii')[:26].lower()}"


def utcnow() -> datetime:
    return datetime.now(UTC)


def rfc3339(value: datetime | None) -> str | None:
    """Format as ``2024-02-26T12:00:00Z`` (naive values from SQLite are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    # Naive is UTC. isoformat drops ".000000" only when there are no microseconds, so they go.
    return value.replace(microsecond=0).isoformat() + "Z"


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_timestamp(value: object, field: str, *, where: str = "body") -> datetime:
    """``value`` (RFC 3339 / ISO 8601; naive means UTC) as an aware UTC datetime.

    400 naming ``field`` when it is not a date-time, or when it leaves the calendar once moved
    to UTC: ``9999-12-31T23:59:59-14:00`` is a valid RFC 3339 time whose UTC instant is in
    year 10000, which ``datetime`` cannot hold (``OverflowError``, a 500 if left alone).
    """
    text = str(value).strip()
    if text and text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(
            f"{field} is not an RFC 3339 date-time",
            details=[{"field": field, "in": where, "reason": "not a date-time"}],
        ) from None
    try:
        return as_utc(parsed)
    except OverflowError:
        raise BadRequest(
            f"{field} is outside the supported range once in UTC",
            details=[{"field": field, "in": where, "reason": "out of range (0001-9999 in UTC)"}],
        ) from None
