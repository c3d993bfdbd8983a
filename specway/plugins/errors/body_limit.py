"""Refuse request bodies over the configured size, while streaming (413 in the envelope)."""

from __future__ import annotations

from specway.errors import PayloadTooLarge
from specway.plugins.errors.envelope import ErrorBody, send_error
from specway.spec import ErrorsConfig
from specway.types import SCOPE_REQUEST_ID, ASGIApp, Message, Receive, Scope, Send, header


class BodyLimitMiddleware:
    """A declared ``Content-Length`` over the limit is refused before reading; a streamed body
    is counted chunk by chunk and refused as soon as it passes the limit.

    A chunked body (no ``Content-Length``) is read here, up to the limit, and handed on with a
    ``Content-Length``: Connexion's validators treat a request without that header as having no
    body, which would silently drop chunked uploads.
    """

    def __init__(self, app: ASGIApp, *, max_body_size: int, errors: ErrorsConfig) -> None:
        self.app = app
        self.max_body_size = max_body_size
        self.errors = errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_size:
            await send_error(send, self.errors, self._error(scope))
            return
        if declared is None and header(scope, b"transfer-encoding") is not None:
            await self._buffer_chunked(scope, receive, send)
            return
        received = 0
        limit = self.max_body_size

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(f"Request body exceeds {limit} bytes")
            return message

        await self.app(scope, limited_receive, send)

    async def _buffer_chunked(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_size:
                await send_error(send, self.errors, self._error(scope))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        headers = [
            (k, v)
            for k, v in scope["headers"]
            if k not in (b"transfer-encoding", b"content-length")
        ]
        headers.append((b"content-length", str(len(body)).encode("ascii")))
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app({**scope, "headers": headers}, replay, send)

    def _error(self, scope: Scope) -> ErrorBody:
        return ErrorBody(
            413,
            "payload_too_large",
            f"Request body exceeds {self.max_body_size} bytes",
            {"max_bytes": self.max_body_size},
            str(scope.get(SCOPE_REQUEST_ID, "")),
        )
