"""``CorsMiddleware``: preflights answered up front, CORS headers on every other response.

Starlette's ``CORSMiddleware`` was not used: it refuses a preflight with a plain-text 400
(the gateway answers every error in the spec's envelope, with the request id), it has one
regex for all origin patterns instead of exact origins plus ``*.domain`` forms, and it adds
``Vary: Origin`` only to requests that carry an ``Origin``, which lets a shared cache hand a
response without CORS headers to a browser page. What is left is small enough to own.
"""

from __future__ import annotations

from specway.errors import Forbidden
from specway.plugins.cors.policy import CorsPolicy
from specway.plugins.errors.envelope import ErrorBody, send_error
from specway.spec import ErrorsConfig
from specway.types import SCOPE_REQUEST_ID, ASGIApp, Message, Receive, Scope, Send, header


def _with_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` with ``Origin`` added to ``Vary`` (merged into an existing one)."""
    out: list[tuple[bytes, bytes]] = []
    merged = False
    for key, value in headers:
        if key.lower() == b"vary" and not merged:
            names = {v.strip().lower() for v in value.split(b",")}
            if b"origin" not in names and b"*" not in names:
                value = value + b", Origin"
            merged = True
        out.append((key, value))
    if not merged:
        out.append((b"vary", b"Origin"))
    return out


class CorsMiddleware:
    """Answers CORS preflights and adds ``Access-Control-*`` headers for allowed origins.

    A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) never
    reaches the wrapped app: routing, authentication and rate limiting don't see it. Any other
    request goes on; its response (an error too) gets ``Access-Control-Allow-Origin`` and
    ``Access-Control-Expose-Headers`` when its origin is allowed, and ``Vary: Origin`` whenever
    the answer depends on the origin.
    """

    def __init__(self, app: ASGIApp, *, policy: CorsPolicy, errors: ErrorsConfig) -> None:
        self.app = app
        self.policy = policy
        self.errors = errors
        allowed: list[tuple[bytes, bytes]] = []
        if policy.expose_headers:
            allowed.append((b"access-control-expose-headers", policy.expose_headers))
        if policy.credentials:
            allowed.append((b"access-control-allow-credentials", b"true"))
        self._actual_headers = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = header(scope, b"origin")
        if origin is not None and scope["method"] == "OPTIONS":
            requested = header(scope, b"access-control-request-method")
            if requested is not None:
                await self._preflight(scope, send, origin, requested)
                return
        allowed = origin is not None and self.policy.allows(origin.decode("latin-1"))
        if not allowed and not self.policy.varies:
            await self.app(scope, receive, send)
            return
        extra: list[tuple[bytes, bytes]] = []
        if allowed and origin is not None:
            extra = [(b"access-control-allow-origin", self.policy.allow_origin(origin))]
            extra += self._actual_headers
        varies = self.policy.varies

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *extra]
                message["headers"] = _with_vary(headers) if varies else headers
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, scope: Scope, send: Send, origin: bytes, method: bytes) -> None:
        policy = self.policy
        text = origin.decode("latin-1")
        asked_headers = (header(scope, b"access-control-request-headers") or b"").decode("latin-1")
        if not policy.allows(text):
            await self._refuse(scope, send, f"Origin {text} is not allowed", {"origin": text})
            return
        asked = method.decode("latin-1").strip().upper()
        if asked not in policy.methods:
            reason = f"Method {asked} is not allowed for cross-origin requests"
            await self._refuse(scope, send, reason, {"origin": text, "method": asked})
            return
        refused = policy.refused_headers(asked_headers)
        if refused:
            reason = f"Request headers not allowed: {', '.join(refused)}"
            await self._refuse(scope, send, reason, {"origin": text, "headers": refused})
            return
        # ``*`` is no wildcard for a credentialed request, so a header wildcard echoes the ask.
        allow_headers = policy.allow_headers
        if policy.any_header:
            allow_headers = asked_headers.encode("latin-1")
        headers = [
            (b"access-control-allow-origin", policy.allow_origin(origin)),
            (b"access-control-allow-methods", policy.allow_methods),
            (b"access-control-max-age", policy.max_age),
        ]
        if allow_headers:
            headers.append((b"access-control-allow-headers", allow_headers))
        if policy.credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        if policy.varies:
            headers = _with_vary(headers)
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _refuse(self, scope: Scope, send: Send, message: str, details: object) -> None:
        """403 in the spec's envelope; no ``Access-Control-Allow-*``, so the browser stops."""
        error = ErrorBody(
            403, Forbidden.code, message, details, str(scope.get(SCOPE_REQUEST_ID, ""))
        )
        headers = {"Vary": "Origin"} if self.policy.varies else None
        await send_error(send, self.errors, error, headers)
