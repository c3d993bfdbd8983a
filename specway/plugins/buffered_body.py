"""Read a request body in full inside pure ASGI middleware, then hand it on unchanged.

Idempotency (to fingerprint the body) and audit (to keep a redacted copy) both need the whole
body before the handler runs; the body size limit has already been applied by the errors plugin's
streaming check, so buffering is bounded.
"""

from __future__ import annotations

from specway.types import Message, Receive


class ClientDisconnected(Exception):
    """The client went away before sending its whole body."""


async def read_body(receive: Receive) -> bytes:
    """Every ``http.request`` chunk joined; :class:`ClientDisconnected` on ``http.disconnect``."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunks.append(bytes(message.get("body", b"")))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying_receive(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields ``body`` once, then defers to ``receive`` (for disconnects)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
