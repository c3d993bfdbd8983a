"""Error envelopes and pagination bodies as documentation shows them, in the spec's style.

These mirror what the gateway sends (``plugins/errors/envelope.py`` and
``specway/pagination.py``); codegen may not import the runtime, so a test renders both and
checks they have the same shape.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from specway.codegen.ir import ErrorCode

EXAMPLE_REQUEST_ID = "req_5f2b9c1d0e3a4b6c7d8e9f00"
EXAMPLE_TIMESTAMP = "2024-01-15T10:30:00Z"

# The gateway's error codes (specway.errors), with their status and default meaning.
KNOWN_CODES: dict[str, tuple[int, str]] = {
    "invalid_request": (400, "Invalid request parameters"),
    "unauthorized": (401, "Authentication required"),
    "forbidden": (403, "Insufficient permissions"),
    "not_found": (404, "Resource not found"),
    "method_not_allowed": (405, "Method not allowed"),
    "not_acceptable": (406, "Not acceptable"),
    "conflict": (409, "Resource conflict"),
    "payload_too_large": (413, "Request body too large"),
    "unsupported_media_type": (415, "Unsupported media type"),
    "unprocessable_entity": (422, "Unprocessable entity"),
    "rate_limited": (429, "Rate limit exceeded"),
    "internal_error": (500, "Internal server error"),
    "service_unavailable": (503, "Service temporarily unavailable"),
}


def code_text(code: str, case: str) -> str:
    return code.upper() if case == "upper" else code


def error_media_type(style: str) -> str:
    return "application/problem+json" if style == "problem" else "application/json"


# The default wording of the ``map`` layout (``plugins/errors/envelope.py``).
_MAP_MESSAGES = {"required": "This field is required."}


def field_details(
    layout: str, details: list[dict[str, str]], reasons: dict[str, str] | None = None
) -> Any:
    """A field list ``[{field, in, reason}]`` in ``x-specway-errors.field_details`` layout,
    with reasons in the spec's wording (``field_reasons``)."""
    reasons = reasons or {}
    if layout == "map":
        fields: dict[str, list[str]] = {}
        for item in details:
            reason = item.get("reason", "")
            fields.setdefault(item["field"] or "non_field_errors", []).append(
                reasons.get(reason) or _MAP_MESSAGES.get(reason, reason)
            )
        return fields
    if layout == "object" and details:
        reason = details[0].get("reason", "")
        obj: dict[str, Any] = {
            "field": details[0]["field"],
            "reason": reasons.get(reason, reason),
        }
        if len(details) > 1:
            obj["errors"] = details
        return obj
    return details


def error_example(
    style: str,
    case: str,
    status: int,
    code: str,
    message: str,
    details: Any = None,
    *,
    renames: tuple[tuple[str, str], ...] = (),
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The body the gateway sends for this error in ``style`` (``renames``: the spec's
    ``x-specway-errors.codes``; ``extra``: keys added to the error, e.g. ``retry_after``)."""
    code = code_text(dict(renames).get(code, code), case)
    if style == "problem":
        doc: dict[str, Any] = {
            "type": "about:blank",
            "title": _reason(status),
            "status": status,
            "detail": message,
            "code": code,
            "request_id": EXAMPLE_REQUEST_ID,
        }
        if details is not None:
            doc["details"] = details
        doc.update(extra or {})
        return doc
    if style == "flat":
        return {
            "error": message,
            "details": details if details is not None else {},
            "code": code,
            "timestamp": EXAMPLE_TIMESTAMP,
            "request_id": EXAMPLE_REQUEST_ID,
            **(extra or {}),
        }
    inner: dict[str, Any] = {"code": code, "message": message, "request_id": EXAMPLE_REQUEST_ID}
    if details is not None:
        inner["details"] = details
    inner.update(extra or {})
    if style == "status-wrapped":
        return {"status": "error", "error": inner}
    return {"error": inner}


def error_codes(
    declared: list[str], meanings: dict[int, str], renames: tuple[tuple[str, str], ...] = ()
) -> tuple[ErrorCode, ...]:
    """Codes declared in the spec's error schema (else the gateway's), sorted by status.

    ``meanings`` are the descriptions of the spec's own error responses by status; they win
    over the gateway's default wording. ``renames`` (``x-specway-errors.codes``) map a renamed
    code back to the gateway's, and so to its status.
    """
    codes = declared or list(KNOWN_CODES)
    original = {sent.lower(): known for known, sent in renames}
    result = []
    for code in codes:
        known = original.get(code.lower(), code.lower())
        status, default = KNOWN_CODES.get(known, (None, ""))
        meaning = meanings.get(status, default) if status is not None else default
        result.append(ErrorCode(code=code, status=status, meaning=meaning or code))
    return tuple(sorted(result, key=lambda c: (c.status or 999, c.code)))


def pagination_example(style: str, key: str, items: list[Any], path: str) -> dict[str, Any]:
    """A first page of two in ``style``, as the gateway renders list responses."""
    per_page = 20
    total = 2 * per_page
    first = f"{path}?page=1&per_page={per_page}"
    nxt = f"{path}?page=2&per_page={per_page}"
    if style == "drf":
        return {"count": total, "next": nxt, "previous": None, "results": items}
    if style == "meta":
        return {"data": items, "meta": {"current_page": 1, "total_pages": 2, "total_count": total}}
    if style == "keyed":
        return {key: items}
    if style == "status-wrapped":
        meta = {
            "page": 1,
            "per_page": per_page,
            "total_items": total,
            "total_pages": 2,
            "has_next": True,
            "has_previous": False,
        }
        return {"status": "success", "data": items, "meta": meta}
    return {
        "data": items,
        "pagination": {"page": 1, "per_page": per_page, "total": total, "pages": 2},
        "links": {"first": first, "prev": None, "next": nxt, "last": nxt},
    }


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
