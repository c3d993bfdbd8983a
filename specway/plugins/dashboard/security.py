"""The dashboard's browser-facing security: cookies, CSRF tokens, response headers.

- The session cookie holds a session token issued like the API's login (``tok_…``, its hash
  stored in ``sessions``), so logout revokes it everywhere. ``HttpOnly``, ``SameSite=Strict``,
  ``Path`` = the dashboard's prefix, and ``Secure`` unless the page was requested over plain
  http from localhost (a developer's machine).
- CSRF: the sign-in and sign-up forms use a double-submit token (a random value in a cookie
  and in the form, compared in constant time); signed-in forms carry a per-session token, an
  HMAC of the session token under the auth plugin's pepper, so it is never stored and dies
  with the session.
- Every page: ``Content-Security-Policy: default-src 'self'`` (no inline script or style,
  nothing from elsewhere), ``X-Frame-Options: DENY``, ``Cache-Control: no-store`` (a secret
  shown once must not sit in a cache) and friends.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from specway.plugins.auth.hashing import CredentialHasher

SESSION_COOKIE = "specway_dashboard"
FORM_COOKIE = "specway_dashboard_form"
CSRF_FIELD = "csrf_token"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})

PAGE_HEADERS: dict[str, str] = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def secure_cookies(request: Request) -> bool:
    """``Secure`` cookies, except over plain http to localhost (where browsers would drop
    them)."""
    return not (request.url.scheme == "http" and (request.url.hostname or "") in LOCAL_HOSTS)


def set_cookie(response: Response, request: Request, path: str, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        path=path,
        httponly=True,
        secure=secure_cookies(request),
        samesite="strict",
    )


def clear_cookie(response: Response, request: Request, path: str, name: str) -> None:
    response.delete_cookie(
        name, path=path, httponly=True, secure=secure_cookies(request), samesite="strict"
    )


def new_form_token() -> str:
    """A double-submit token for the forms shown before sign-in."""
    return secrets.token_urlsafe(32)


def session_csrf(hasher: CredentialHasher, session_token: str) -> str:
    """The CSRF token of every form of one signed-in session."""
    return hasher.digest(f"dashboard-csrf:{session_token}")


def same(expected: str | None, given: str | None) -> bool:
    """Both present and equal (compared in constant time)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
