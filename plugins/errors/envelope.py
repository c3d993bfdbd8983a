"""Render an error in one of the supported envelope styles.

=================  ===========================================================================
``nested``         ``{"error": {"code", "message", "details", "request_id"}}`` (default)
``status-wrapped`` ``{"status": "error", "error": {"code", "message", "details", "request_id"}}``
``flat``           ``{"error", "details", "code", "timestamp", "request_id"}``
``problem``        RFC 9457 ``application/problem+json``: ``type, title, status, detail, code,
                   details, request_id``
=================  ===========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import orjson

from spec import ErrorsConfig


@dataclass(frozen=True, slots=True)
class ErrorBody:
    """One error, independent of the envelope it leaves in."""

    status: int
    code: str
    message: str
    details: Any = None
    request_id: str = ""
    extra: dict[str, Any] | None = None


def _code(config: ErrorsConfig, code: str) -> str:
    return code.upper() if config.code_case == "upper" else code


def error_document(config: ErrorsConfig, error: ErrorBody) -> dict[str, Any]:
    """The JSON document for ``error`` in the configured style."""
    code = _code(config, error.code)
    extra = error.extra or {}
    if config.style == "problem":
        doc: dict[str, Any] = {
            "type": "about:blank",
            "title": _reason(error.status),
            "status": error.status,
            "detail": error.message,
            "code": code,
            "request_id": error.request_id,
        }
        if error.details is not None:
            doc["details"] = error.details
        doc.update(extra)
        return doc
    if config.style == "flat":
        doc = {
            "error": error.message,
            "details": error.details if error.details is not None else {},
            "code": code,
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "request_id": error.request_id,
        }
        doc.update(extra)
        return doc
    inner: dict[str, Any] = {"code": code, "message": error.message, "request_id": error.request_id}
    if error.details is not None:
        inner["details"] = error.details
    inner.update(extra)
    if config.style == "status-wrapped":
        return {"status": "error", "error": inner}
    return {"error": inner}


def render_error(config: ErrorsConfig, error: ErrorBody) -> tuple[bytes, str]:
    """``(body, content type)`` for ``error``."""
    media = "application/problem+json" if config.style == "problem" else "application/json"
    return orjson.dumps(error_document(config, error)), media


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def send_error(
    send: Any, config: ErrorsConfig, error: ErrorBody, headers: dict[str, str] | None = None
) -> None:
    """Send ``error`` as a complete ASGI response (for pure ASGI middleware)."""
    body, media = render_error(config, error)
    raw = [
        (b"content-type", media.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    if error.request_id:
        raw.append((b"x-request-id", error.request_id.encode("latin-1")))
    await send({"type": "http.response.start", "status": error.status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
