"""Error handlers that turn every exception into the configured envelope."""

from __future__ import annotations

import logging
import re
from typing import Any

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from specway.errors import APIError, error_for_status
from specway.plugins.errors.envelope import (
    ErrorBody,
    render_error,
    validation_message,
    with_retry_after,
)
from specway.plugins.errors.validation import RequestValidationProblem
from specway.spec import ErrorsConfig, SpecModel
from specway.storage.outage import describe, is_outage
from specway.types import SCOPE_REQUEST_ID

logger = logging.getLogger("specway.errors")

_MESSAGES = {
    400: "Invalid request",
    401: "Authentication required",
    403: "Insufficient permissions",
    404: "Resource not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable entity",
    429: "Rate limit exceeded",
    500: "Internal server error",
    503: "Service temporarily unavailable",
}


class AllowedMethods:
    """The methods the spec declares for each path template, for ``Allow`` on 405."""

    def __init__(self, spec: SpecModel) -> None:
        by_path: dict[str, set[str]] = {}
        for op in spec.operations.values():
            by_path.setdefault(spec.base_path + op.path, set()).add(op.method.upper())
        self.routes = [
            (re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$"), methods)
            for path, methods in by_path.items()
        ]

    def header(self, path: str) -> str:
        methods: set[str] = set()
        for pattern, declared in self.routes:
            if pattern.match(path):
                methods |= declared
        if "GET" in methods:
            methods.add("HEAD")
        return ", ".join(sorted(methods))


class ErrorRenderer:
    """Renders exceptions as responses in one envelope style."""

    def __init__(self, config: ErrorsConfig, allowed: AllowedMethods | None = None) -> None:
        self.config = config
        self.allowed = allowed

    def response(
        self, request: ConnexionRequest, error: ErrorBody, headers: dict[str, str] | None = None
    ) -> ConnexionResponse:
        body, media = render_error(self.config, with_retry_after(self.config, error, headers))
        out = dict(headers or {})
        if error.request_id:
            out["X-Request-ID"] = error.request_id
        return ConnexionResponse(
            status_code=error.status, body=body, mimetype=media, content_type=media, headers=out
        )

    @staticmethod
    def request_id(request: ConnexionRequest) -> str:
        return str(request.scope.get(SCOPE_REQUEST_ID, ""))

    def api_error(self, request: ConnexionRequest, exc: APIError) -> ConnexionResponse:
        error = ErrorBody(exc.status, exc.code, exc.message, exc.details, self.request_id(request))
        return self.response(request, error, exc.headers)

    def problem(self, request: ConnexionRequest, exc: ProblemException) -> ConnexionResponse:
        status = int(exc.status)
        details: Any = getattr(exc, "details", None)
        if isinstance(exc, RequestValidationProblem):
            message = validation_message(self.config, details)
        else:
            message = str(exc.detail or exc.title or _MESSAGES.get(status, "Error"))
            if status >= 500:
                logger.error("server problem %r (request_id=%s)", exc, self.request_id(request))
                message = _MESSAGES.get(status, "Internal server error")
        code = error_for_status(status).code
        if status == 415:
            code = "unsupported_media_type"
        headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() != "content-type"}
        return self.response(
            request, ErrorBody(status, code, message, details, self.request_id(request)), headers
        )

    def http_exception(self, request: ConnexionRequest, exc: HTTPException) -> ConnexionResponse:
        status = int(exc.status_code)
        message = _MESSAGES.get(status) or str(exc.detail)
        code = error_for_status(status).code
        headers = dict(exc.headers or {})
        if status == 405 and self.allowed is not None:
            headers["Allow"] = self.allowed.header(str(request.scope.get("path", "")))
        return self.response(
            request, ErrorBody(status, code, message, None, self.request_id(request)), headers
        )

    def unavailable(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        logger.error(
            "backend unavailable: %s (request_id=%s)", describe(exc), self.request_id(request)
        )
        error = ErrorBody(
            503, "service_unavailable", _MESSAGES[503], None, self.request_id(request)
        )
        return self.response(request, error, {"Retry-After": "5"})

    def unhandled(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        if isinstance(exc, APIError):
            return self.api_error(request, exc)
        if is_outage(exc):
            return self.unavailable(request, exc)
        logger.exception("unhandled error (request_id=%s)", self.request_id(request), exc_info=exc)
        error = ErrorBody(500, "internal_error", _MESSAGES[500], None, self.request_id(request))
        return self.response(request, error)
