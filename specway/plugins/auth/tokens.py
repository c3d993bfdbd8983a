"""Session tokens: 40 lower-case hex characters (160 random bits), as KeyNest's login returns.

Only the peppered hash (:mod:`plugins.auth.hashing`) is stored.
"""

from __future__ import annotations

import re
import secrets

TOKEN_BYTES = 20
_SESSION_TOKEN = re.compile(r"[0-9a-f]{40}")


def new_session_token() -> str:
    """A fresh session token."""
    return secrets.token_hex(TOKEN_BYTES)


def is_session_token(token: str) -> bool:
    """``True`` when ``token`` has the session token shape (nothing about validity)."""
    return _SESSION_TOKEN.fullmatch(token) is not None
