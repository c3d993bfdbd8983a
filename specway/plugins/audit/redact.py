"""Keep secrets out of audit details: redact by key name and by what a value looks like.

A key is secret when its lower-cased name contains one of :data:`SECRET_PARTS` (``password``,
``token``, ``secret``...) or equals one of :data:`SECRET_NAMES` (``value`` — a variable's value
— ``key_hash``...). A string is secret, whatever its key, when it looks like an API key, a
webhook secret, a bearer credential or a 40-hex session token.
"""

from __future__ import annotations

import functools
import re
from typing import Any

REDACTED = "[redacted]"

SECRET_PARTS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "authorization",
    "credential",
    "private",
    "signature",
    "cookie",
    "api_key",
    "apikey",
    "session",
    "otp",
)
SECRET_NAMES = frozenset({"value", "values", "key_hash", "hash", "pin", "cvv", "auth"})

_SECRET_VALUE = re.compile(
    r"^(?:(?:sk|rk|pk)_(?:live|test)_|whsec_|bearer\s|token\s|basic\s)|^[0-9a-f]{40}$",
    re.IGNORECASE,
)
_MAX_DEPTH = 8
_MAX_STRING = 500


_SECRET_PART = re.compile("|".join(map(re.escape, SECRET_PARTS)))


@functools.lru_cache(maxsize=2048)
def is_secret_name(name: str) -> bool:
    """Whether a field called ``name`` holds a secret (memoised: bodies repeat their keys)."""
    lowered = name.lower().replace("-", "_")
    return lowered in SECRET_NAMES or _SECRET_PART.search(lowered) is not None


def redact(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` (JSON-like) with every secret replaced by ``"[redacted]"``."""
    if depth > _MAX_DEPTH:
        return REDACTED
    if isinstance(value, dict):
        return {
            str(k): REDACTED if is_secret_name(str(k)) else redact(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v, depth + 1) for v in value]
    if isinstance(value, str):
        if _SECRET_VALUE.search(value.strip()):
            return REDACTED
        return value if len(value) <= _MAX_STRING else value[:_MAX_STRING] + "…"
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value), depth + 1)
