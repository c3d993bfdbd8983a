"""Batch: run up to 100 operations, in order, through the app's whole ASGI pipeline.

Each operation becomes a sub-request to the outermost app, so authentication, scopes,
validation, rate-limit cost, idempotency and audit apply to it exactly as to a request of its
own. It carries the caller's ``Authorization`` (and client address) and a request id derived
from the batch's (``<batch id>.<n>``). Not atomic: each operation commits or fails on its own,
and a failing one reports its own error envelope while the others still run. A batch inside a
batch is refused.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import orjson

from specway.plugins.errors import ErrorBody, error_document
from specway.spec import ErrorsConfig
from specway.types import SCOPE_CLIENT_IP, SCOPE_REQUEST_ID, ASGIApp, Message, Scope

SCOPE_BATCH = "specway.batch"
API_PREFIX = "/v1"
BATCH_PATH = "/v1/batch"
# Request headers a sub-request inherits from the batch request.
INHERITED = (b"authorization", b"user-agent", b"x-forwarded-for", b"forwarded", b"host")
# Response headers worth reporting per operation.
REPORTED = (
    "location",
    "retry-after",
    "x-request-id",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
)


@dataclass(frozen=True, slots=True)
class Operation:
    """One entry of a batch: ``path`` is relative to ``/v1`` unless it starts with ``/v1``."""

    method: str
    path: str
    body: Any = None
    has_body: bool = False

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Operation:
        return cls(str(raw["method"]).upper(), str(raw["path"]), raw.get("body"), "body" in raw)

    @property
    def target(self) -> tuple[str, str]:
        """``(path, query string)`` of the sub-request, with the ``/v1`` prefix applied."""
        path, _, query = self.path.partition("?")
        if path != API_PREFIX and not path.startswith(API_PREFIX + "/"):
            path = API_PREFIX + path
        return path, query


def _sub_scope(parent: Scope, op: Operation, request_id: str, body: bytes | None) -> Scope:
    path, query = op.target
    headers = [(k, v) for k, v in parent.get("headers") or () if k in INHERITED]
    headers.append((b"x-request-id", request_id.encode("ascii")))
    if body is not None:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
    scope: Scope = {
        "type": "http",
        "asgi": parent.get("asgi", {"version": "3.0"}),
        "http_version": parent.get("http_version", "1.1"),
        "method": op.method,
        "scheme": parent.get("scheme", "http"),
        "server": parent.get("server"),
        "client": parent.get("client"),
        "root_path": parent.get("root_path", ""),
        "path": unquote(path),
        "raw_path": path.encode("latin-1", "replace"),
        "query_string": query.encode("latin-1", "replace"),
        "headers": headers,
        SCOPE_BATCH: parent.get(SCOPE_REQUEST_ID) or "batch",
    }
    if "state" in parent:
        scope["state"] = parent["state"]
    if SCOPE_CLIENT_IP in parent:
        scope[SCOPE_CLIENT_IP] = parent[SCOPE_CLIENT_IP]
    return scope


def _decode(body: bytes, content_type: str) -> Any:
    if not body:
        return None
    if "json" in content_type:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return body.decode("utf-8", "replace")


async def _call(
    app: ASGIApp, scope: Scope, body: bytes | None
) -> tuple[int, dict[str, str], bytes]:
    status = 0
    headers: dict[str, str] = {}
    chunks: list[bytes] = []
    done = asyncio.Event()
    request_sent = False

    async def receive() -> Message:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": body or b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            for key, value in message.get("headers") or ():
                headers.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
    finally:
        done.set()
    return status, headers, b"".join(chunks)


async def run_batch(
    app: ASGIApp, parent: Scope, operations: list[dict[str, Any]], errors: ErrorsConfig
) -> list[dict[str, Any]]:
    """Results of ``operations`` in order: ``{index, method, path, status, headers, body}``."""
    batch_id = str(parent.get(SCOPE_REQUEST_ID) or "batch")[:120]
    results: list[dict[str, Any]] = []
    for index, raw in enumerate(operations):
        op = Operation.from_dict(raw)
        request_id = f"{batch_id}.{index + 1}"
        result: dict[str, Any] = {"index": index, "method": op.method, "path": op.path}
        if op.target[0].rstrip("/") == BATCH_PATH:
            error = ErrorBody(
                400, "invalid_request", "A batch can't contain a batch", None, request_id
            )
            result.update(status=400, headers={}, body=error_document(errors, error))
            results.append(result)
            continue
        body = orjson.dumps(op.body) if op.has_body and op.body is not None else None
        sub_scope = _sub_scope(parent, op, request_id, body)
        try:
            # A task of its own: the sub-request's context variables (Connexion's request
            # context) must not replace the batch request's.
            status, headers, raw_body = await asyncio.create_task(_call(app, sub_scope, body))
        except Exception:
            status, headers, raw_body = 0, {}, b""
        if status == 0:
            error = ErrorBody(500, "internal_error", "Internal server error", None, request_id)
            result.update(status=500, headers={}, body=error_document(errors, error))
        else:
            result.update(
                status=status,
                headers={k: headers[k] for k in REPORTED if k in headers},
                body=_decode(raw_body, headers.get("content-type", "")),
            )
        results.append(result)
    return results
