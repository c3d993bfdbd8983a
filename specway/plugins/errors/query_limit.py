"""Refuse requests with more query parameters than the configured cap (400 in the envelope).

Parsing a query string is cheap; what is not is what comes after: Starlette's
``QueryParams.getlist`` scans every pair for each key it is asked for, and Connexion's parameter
validation and argument parsing ask for each key, so a request's cost grows with the square of
its parameter count (7,000 ``a{i}=b`` pairs cost about a second of CPU, unauthenticated, on any
path). No operation of a spec needs thousands, so the gateway counts the ``&``-separated pairs of
the raw query string (one ``bytes.count``, nothing parsed or decoded) and refuses a request
over ``SPECWAY_MAX_QUERY_PARAMS`` before any stage reads its parameters.
"""

from __future__ import annotations

from specway.errors import BadRequest
from specway.plugins.errors.envelope import ErrorBody, send_error
from specway.spec import ErrorsConfig
from specway.types import SCOPE_REQUEST_ID, ASGIApp, Receive, Scope, Send


def query_pair_count(query_string: bytes) -> int:
    """An upper bound of the parameters in ``query_string``: its ``&``-separated pieces (empty
    pieces included, which parsers skip; a client has no reason to send runs of ``&``)."""
    return query_string.count(b"&") + 1 if query_string else 0


class QueryLimitMiddleware:
    """400 ``invalid_request`` for a request carrying more than ``max_params`` query pairs."""

    def __init__(self, app: ASGIApp, *, max_params: int, errors: ErrorsConfig) -> None:
        self.app = app
        self.max_params = max_params
        self.errors = errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query_string: bytes = scope.get("query_string") or b""
            # The count is at least the number of "&"; skip counting short strings entirely.
            if len(query_string) > self.max_params and (
                query_pair_count(query_string) > self.max_params
            ):
                await send_error(send, self.errors, self._error(scope))
                return
        await self.app(scope, receive, send)

    def _error(self, scope: Scope) -> ErrorBody:
        reason = f"more than {self.max_params} query parameters"
        return ErrorBody(
            400,
            BadRequest.code,
            f"The request has {reason}",
            [{"field": "", "in": "query", "reason": reason}],
            str(scope.get(SCOPE_REQUEST_ID, "")),
        )
