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

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import orjson

from specway.spec import ErrorsConfig


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
    code = config.codes.get(code, code)
    return code.upper() if config.code_case == "upper" else code


# Django REST framework's wording for the reasons our validators report.
_FIELD_MESSAGES = {"required": "This field is required."}


def _details(config: ErrorsConfig, error: ErrorBody) -> Any:
    """``details`` in the configured layout: the field list as is, ``{field: [message]}`` or
    the first failing field ``{field, reason}`` (with every one under ``errors`` if several);
    reasons in the spec's wording (``field_reasons``).

    In the ``map`` layout a single ``{field, reason}`` counts as a list of one, and a field
    without a reason, or of an error other than a validation 400 (a 409's duplicate), reads
    as the error's message: ``{"email": ["A user with this email already exists"]}``.
    """
    details = error.details
    if (
        config.field_details == "map"
        and isinstance(details, dict)
        and isinstance(details.get("field"), str)
    ):
        details = [details]
    if config.field_details == "list" or not isinstance(details, list):
        return details
    if not all(isinstance(d, dict) and "field" in d for d in details):
        return details
    reasons = config.field_reasons
    if config.field_details == "object":
        if not details:
            return details
        first = details[0]
        reason = str(first.get("reason", ""))
        obj: dict[str, Any] = {"field": str(first["field"]), "reason": reasons.get(reason, reason)}
        if len(details) > 1:
            obj["errors"] = details
        return obj
    fields: dict[str, list[str]] = {}
    for item in details:
        reason = str(item.get("reason") or "")
        name = str(item["field"]) or "non_field_errors"
        if reason in reasons:
            message = reasons[reason]
        elif not reason or error.status != 400:
            message = error.message
        else:
            message = _FIELD_MESSAGES.get(reason, reason)
        fields.setdefault(name, []).append(message)
    return fields


def validation_message(config: ErrorsConfig, details: Any) -> str:
    """The message of a validation 400: ``validation_message`` with ``{field}`` and
    ``{reason}`` of the first failing field (empty when the details name none)."""
    first = details[0] if isinstance(details, list) and details else {}
    field = str(first.get("field", "")) if isinstance(first, dict) else ""
    reason = str(first.get("reason", "")) if isinstance(first, dict) else ""
    template = config.validation_message
    # Only the two documented names are replaced: a spec's other braces stay as written.
    return template.replace("{field}", field).replace("{reason}", reason)


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _fill(template: str, details: Any) -> str:
    """``template`` with each ``{name}`` that names a scalar of ``details`` replaced by it."""
    values = details if isinstance(details, dict) else {}

    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1))
        if isinstance(found, str | int | float) and not isinstance(found, bool):
            return str(found)
        return match.group(0)

    return _PLACEHOLDER.sub(value, template)


def worded(config: ErrorsConfig, error: ErrorBody) -> ErrorBody:
    """``error`` in the spec's wording of its code (``messages``), if it has one."""
    wording = config.messages.get(error.code)
    if wording is None:
        return error
    if isinstance(wording, str):
        return replace(error, message=_fill(wording, error.details))
    message = wording.get("message")
    sentence = wording.get("details")
    return replace(
        error,
        message=_fill(message, error.details) if message else error.message,
        details=_fill(sentence, error.details) if sentence else error.details,
    )


def retry_after_seconds(headers: dict[str, str] | None) -> int | None:
    """The ``Retry-After`` header (delay in seconds) of ``headers``, if there is one."""
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after" and value.strip().isdigit():
            return int(value.strip())
    return None


def with_retry_after(
    config: ErrorsConfig, error: ErrorBody, headers: dict[str, str] | None
) -> ErrorBody:
    """``error`` with ``retry_after`` in its body when the style asks for it and one is known."""
    seconds = retry_after_seconds(headers) if config.retry_after_field else None
    if seconds is None:
        return error
    return replace(error, extra={**(error.extra or {}), "retry_after": seconds})


def error_document(config: ErrorsConfig, error: ErrorBody) -> dict[str, Any]:
    """The JSON document for ``error`` in the configured style."""
    error = worded(config, error)
    code = _code(config, error.code)
    extra = error.extra or {}
    details = _details(config, error)
    if config.style == "problem":
        doc: dict[str, Any] = {
            "type": "about:blank",
            "title": _reason(error.status),
            "status": error.status,
            "detail": error.message,
            "code": code,
            "request_id": error.request_id,
        }
        if details is not None:
            doc["details"] = details
        doc.update(extra)
        return doc
    if config.style == "flat":
        doc = {
            "error": error.message,
            "details": details if details is not None else {},
            "code": code,
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "request_id": error.request_id,
        }
        doc.update(extra)
        return doc
    inner: dict[str, Any] = {"code": code, "message": error.message, "request_id": error.request_id}
    if details is not None:
        inner["details"] = details
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
    error = with_retry_after(config, error, headers)
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
