"""``X-Specway-Mode: test`` on every response to a test-mode key, so clients can tell.

Connexion's security stage knows the principal, but errors are rendered outside it; so this
middleware sits outside the exception stage and leaves a one-slot marker in the scope that the
security handler sets (:func:`mark_test_mode`). Live calls carry no header.
"""

from __future__ import annotations

from specway.types import ASGIApp, Receive, Scope, Send, stamping

MODE_HEADER = b"x-specway-mode"
SCOPE_MODE = "specway.auth.mode"


def mark_test_mode(scope: Scope) -> None:
    """Record that this request was authenticated by a test-mode key."""
    marker = scope.get(SCOPE_MODE)
    if isinstance(marker, list) and not marker:
        marker.append((MODE_HEADER, b"test"))


class ModeHeaderMiddleware:
    """Adds ``X-Specway-Mode`` to the response when the request was made in test mode."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        marker: list[tuple[bytes, bytes]] = []
        scope[SCOPE_MODE] = marker
        await self.app(scope, receive, stamping(send, marker))
