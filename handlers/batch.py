"""Handlers of the ``Batch`` tag: several operations in one request (not atomic)."""

from __future__ import annotations

from typing import Any, cast

from handlers.services.batch import SCOPE_BATCH, run_batch
from specway import context
from specway.errors import BadRequest
from specway.types import ASGIApp

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


async def execute_batch(body: dict[str, Any]) -> Response:
    scope = context.current_scope()
    if scope.get(SCOPE_BATCH):
        raise BadRequest("A batch can't contain a batch")
    state = context.app_state()
    app = cast(ASGIApp, state.service("asgi_app"))
    results = await run_batch(app, scope, list(body["operations"]), state.spec.errors)
    return {"results": results}, 200
