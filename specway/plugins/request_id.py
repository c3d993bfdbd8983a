"""The ``request_id`` plugin: every request gets an id, echoed in ``X-Request-ID``.

A client's ``X-Request-ID`` is kept when it is sane (at most 128 characters of
``[A-Za-z0-9._-]``); otherwise a new one is generated. It is the outermost wrapper, so even
errors raised before routing carry it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from specway.builder import AppBuilder
from specway.settings import Settings
from specway.spec import SpecModel
from specway.state import AppState
from specway.types import (
    SCOPE_REQUEST_ID,
    SCOPE_STATE,
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    header,
)

_SANE = re.compile(rb"^[A-Za-z0-9._-]{1,128}$")


def new_request_id() -> str:
    return "req_" + secrets.token_hex(12)


class RequestIdMiddleware:
    """Puts the app state and the request id into the scope and echoes the id."""

    def __init__(self, app: ASGIApp, *, state: AppState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[SCOPE_STATE] = self.state
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = header(scope, b"x-request-id")
        request_id = given.decode("ascii") if given and _SANE.match(given) else new_request_id()
        scope[SCOPE_REQUEST_ID] = request_id
        raw_id = request_id.encode("ascii")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", raw_id))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


class RequestIdPlugin:
    name = "request_id"

    def __init__(
        self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings
    ) -> None:
        self.config = config

    def install(self, builder: AppBuilder) -> None:
        builder.wrap(RequestIdMiddleware, state=builder.state)
