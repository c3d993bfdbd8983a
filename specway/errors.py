"""specway's exceptions. One root, :class:`SpecwayError`::

SpecwayError
├── ConfigError            bad settings, spec or plugin configuration (startup)
├── StorageError           a backend (database, Redis) failed; wraps the driver error
└── APIError               renders as the error envelope with an HTTP status
    ├── BadRequest               400 invalid_request
    ├── Unauthorized             401 unauthorized
    ├── Forbidden                403 forbidden
    ├── NotFound                 404 not_found
    ├── MethodNotAllowed         405 method_not_allowed
    ├── NotAcceptable            406 not_acceptable
    ├── Conflict                 409 conflict
    ├── PayloadTooLarge          413 payload_too_large
    ├── UnsupportedMediaType     415 unsupported_media_type
    ├── UnprocessableEntity      422 unprocessable_entity
    ├── RateLimited              429 rate_limited
    ├── InternalError            500 internal_error
    └── ServiceUnavailable       503 service_unavailable
"""

from __future__ import annotations

from typing import Any


class SpecwayError(Exception):
    """Root of every error specway raises on purpose."""


class ConfigError(SpecwayError):
    """Settings, spec or plugin configuration that cannot work; raised at startup."""


class StorageError(SpecwayError):
    """A storage backend failed; the driver's exception is the ``__cause__``."""


class APIError(SpecwayError):
    """An error that leaves as the configured error envelope."""

    status: int = 500
    code: str = "internal_error"
    default_message: str = "Internal server error"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Any = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details
        if code:
            self.code = code
        self.headers = dict(headers or {})
        super().__init__(self.message)


class BadRequest(APIError):
    status, code, default_message = 400, "invalid_request", "Invalid request parameters"


class Unauthorized(APIError):
    status, code, default_message = 401, "unauthorized", "Authentication required"


class Forbidden(APIError):
    status, code, default_message = 403, "forbidden", "Insufficient permissions"


class NotFound(APIError):
    status, code, default_message = 404, "not_found", "Resource not found"


class MethodNotAllowed(APIError):
    status, code, default_message = 405, "method_not_allowed", "Method not allowed"


class NotAcceptable(APIError):
    status, code, default_message = 406, "not_acceptable", "Not acceptable"


class Conflict(APIError):
    status, code, default_message = 409, "conflict", "Resource conflict"


class PayloadTooLarge(APIError):
    status, code, default_message = 413, "payload_too_large", "Request body too large"


class UnsupportedMediaType(APIError):
    status, code, default_message = 415, "unsupported_media_type", "Unsupported media type"


class UnprocessableEntity(APIError):
    status, code, default_message = 422, "unprocessable_entity", "Unprocessable entity"


class RateLimited(APIError):
    status, code, default_message = 429, "rate_limited", "Rate limit exceeded"


class InternalError(APIError):
    status, code, default_message = 500, "internal_error", "Internal server error"


class ServiceUnavailable(APIError):
    status, code, default_message = 503, "service_unavailable", "Service temporarily unavailable"


STATUS_ERRORS: dict[int, type[APIError]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        NotAcceptable,
        Conflict,
        PayloadTooLarge,
        UnsupportedMediaType,
        UnprocessableEntity,
        RateLimited,
        InternalError,
        ServiceUnavailable,
    )
}


def error_for_status(status: int) -> type[APIError]:
    """The :class:`APIError` subclass for ``status`` (500's for unknown 5xx, 400's for 4xx)."""
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    return InternalError if status >= 500 else BadRequest
