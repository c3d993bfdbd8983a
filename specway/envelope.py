"""Success envelopes (``x-specway-envelope``): handlers return the bare resource, this wraps it.

==================  ========================================================================
``none``            the handler's body as is (default)
``status-wrapped``  ``{"status": "success", "data": <body>}`` (+ ``"meta": {"timestamp"}``)
==================  ========================================================================

The decision is made once per operation at startup: :func:`with_envelopes` wraps only the
handlers of operations that ask for an envelope. Only 2xx results with a body are wrapped;
``None`` bodies (204), ready-made responses (streams, files) and a list operation's page in the
``status-wrapped`` pagination style (already ``{"status", "data", "meta"}``) pass through.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from specway.ids import rfc3339, utcnow
from specway.spec import OperationModel, SpecModel

Handler = Callable[..., Any]


def wraps_body(op: OperationModel) -> bool:
    """Whether ``op``'s successful bodies get the success envelope."""
    if op.envelope.style == "none":
        return False
    return not (op.paginated and op.pagination.style == "status-wrapped")


def envelope_body(op: OperationModel, body: Any) -> dict[str, Any]:
    """``body`` inside ``op``'s success envelope."""
    wrapped: dict[str, Any] = {"status": "success", "data": body}
    if op.envelope.timestamp:
        wrapped["meta"] = {"timestamp": rfc3339(utcnow())}
    return wrapped


def wrap_result(op: OperationModel, result: Any) -> Any:
    """A handler's result (``body``, ``(body, status)`` or ``(body, status, headers)``) wrapped."""
    if isinstance(result, tuple):
        if len(result) < 2 or not isinstance(result[1], int):
            return result
        body, status, *rest = result
        if body is None or not 200 <= status < 300:
            return result
        return (envelope_body(op, body), status, *rest)
    if isinstance(result, dict | list):
        return envelope_body(op, result)
    return result


def enveloped(op: OperationModel, handler: Handler) -> Handler:
    """``handler`` with its results wrapped; its signature stays visible to Connexion."""
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def wrapped_async(*args: Any, **kwargs: Any) -> Any:
            return wrap_result(op, await handler(*args, **kwargs))

        return wrapped_async

    @functools.wraps(handler)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return wrap_result(op, handler(*args, **kwargs))

    return wrapped


def with_envelopes(model: SpecModel, handlers: dict[str, Handler]) -> dict[str, Handler]:
    """``handlers`` (operationId → callable) with the envelope applied where the spec asks."""
    out = dict(handlers)
    for op_id, handler in handlers.items():
        op = model.operations.get(op_id)
        if op is not None and wraps_body(op):
            out[op_id] = enveloped(op, handler)
    return out
