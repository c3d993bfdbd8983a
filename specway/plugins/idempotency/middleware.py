"""``IdempotencyMiddleware``: make retries of POST/PATCH safe with an ``Idempotency-Key``.

Sits after security and rate limiting, before request validation. For an operation that opts in,
a request with the header is fingerprinted (method, path, query, body) and its key — scoped to
the principal (see :func:`caller_scope`), or to the client IP when anonymous — reserved in the
backend:

- new key: the request runs; a response the handler returned (status < 500) is stored, sealed
  with the app's secret key, before its last byte leaves, so a retry never finds it half-done;
  a 5xx or a raised error releases the key so a corrected retry can run;
- same key, same fingerprint, finished: the stored response is replayed with
  ``Idempotent-Replayed: true``; still in flight: 409 with ``Retry-After``;
- same key, another fingerprint: 422; a key over 255 characters or not visible ASCII: 400.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from specway.crypto import DecryptionError, SecretBox
from specway.errors import StorageError
from specway.plugins.buffered_body import ClientDisconnected, read_body, replaying_receive
from specway.plugins.errors import ErrorBody, send_error
from specway.plugins.idempotency.backends import IdempotencyBackend
from specway.plugins.metrics import counters
from specway.plugins.request_record import client_ip
from specway.principal import principal_from_scope
from specway.spec import ErrorsConfig
from specway.types import SCOPE_REQUEST_ID, ASGIApp, Message, Receive, Scope, Send, header
from specway.types import operation_id as routed_operation

logger = logging.getLogger("specway.idempotency")

MAX_KEY_LENGTH = 255
_KEY = re.compile(rb"^[\x21-\x7e]+$")
# Response headers that belong to one exchange, not to the stored response.
_NOT_STORED = frozenset(
    {b"content-length", b"x-request-id", b"date", b"server", b"connection", b"transfer-encoding"}
)


@dataclass(frozen=True, slots=True)
class IdempotencyOptions:
    """Plugin settings: TTL of stored responses, in-flight lock TTL, failure mode, size cap."""

    ttl: float = 24 * 3600
    lock_ttl: float = 60.0
    failure: Literal["open", "closed"] = "closed"
    max_response_bytes: int = 1024 * 1024


def caller_scope(scope: Scope) -> str:
    """Whose keys these are: the API key; for a session, its user in the session's
    organisation (a new login there keeps its keys; another organisation has its own); else,
    anonymous, the client IP."""
    principal = principal_from_scope(scope)
    if principal is None:
        return f"ip:{client_ip(scope)}"
    if principal.kind == "session":
        return f"user:{principal.user_id or principal.id}@{principal.organization_id or ''}"
    return f"key:{principal.key_id or principal.id}"


class IdempotencyMiddleware:
    """Reserve, replay or refuse by ``Idempotency-Key`` for the opted-in ``operations``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        operations: frozenset[str],
        backend: IdempotencyBackend,
        box: SecretBox,
        errors: ErrorsConfig,
        options: IdempotencyOptions,
    ) -> None:
        self.app = app
        self.operations = operations
        self.backend = backend
        self.box = box
        self.errors = errors
        self.options = options

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_key = header(scope, b"idempotency-key") if scope["type"] == "http" else None
        if raw_key is None or routed_operation(scope) not in self.operations:
            await self.app(scope, receive, send)
            return
        if len(raw_key) > MAX_KEY_LENGTH or not _KEY.match(raw_key):
            counters.idempotency("invalid_key")
            reason = "too long" if len(raw_key) > MAX_KEY_LENGTH else "not visible ASCII"
            await self._error(
                scope,
                send,
                400,
                "invalid_request",
                f"Idempotency-Key is {reason}",
                [{"field": "Idempotency-Key", "in": "header", "reason": reason}],
            )
            return
        try:
            body = await read_body(receive)
        except ClientDisconnected:
            return
        receive = replaying_receive(body, receive)
        record_key = self._record_key(scope, raw_key)
        fingerprint = self._fingerprint(scope, body)
        token = secrets.token_hex(16)
        try:
            existing = await self.backend.begin(
                record_key, fingerprint, token, self.options.lock_ttl
            )
        except StorageError:
            await self._backend_down(scope, receive, send)
            return
        if existing is None:
            await self._run(scope, receive, send, record_key, token)
        elif existing.fingerprint != fingerprint:
            counters.idempotency("mismatch")
            await self._error(
                scope,
                send,
                422,
                "unprocessable_entity",
                "Idempotency-Key was already used with a different request",
            )
        elif existing.response is None:
            counters.idempotency("conflict")
            await self._error(
                scope,
                send,
                409,
                "conflict",
                "A request with this Idempotency-Key is still in progress",
                headers={"Retry-After": "1"},
            )
        else:
            await self._replay(scope, send, record_key, existing.response)

    @staticmethod
    def _record_key(scope: Scope, raw_key: bytes) -> str:
        digest = hashlib.sha256(caller_scope(scope).encode() + b"\0" + raw_key).hexdigest()
        return f"specway:idem:{digest}"

    @staticmethod
    def _fingerprint(scope: Scope, body: bytes) -> str:
        digest = hashlib.sha256()
        for part in (
            str(scope["method"]).encode(),
            str(scope["path"]).encode(),
            bytes(scope.get("query_string") or b""),
        ):
            digest.update(part + b"\0")
        digest.update(body)
        return digest.hexdigest()

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, record_key: str, token: str
    ) -> None:
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        size = 0
        settled = False

        async def capture(message: Message) -> None:
            nonlocal status, headers, size, settled
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
            elif message["type"] == "http.response.body":
                chunk = bytes(message.get("body", b""))
                size += len(chunk)
                if size <= self.options.max_response_bytes:
                    chunks.append(chunk)
                if not message.get("more_body", False):
                    settled = True
                    await self._settle(record_key, token, status, headers, chunks, size)
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            if not settled:
                await self._release(record_key, token)

    async def _settle(
        self,
        record_key: str,
        token: str,
        status: int,
        headers: list[tuple[bytes, bytes]],
        chunks: list[bytes],
        size: int,
    ) -> None:
        if status >= 500 or size > self.options.max_response_bytes:
            counters.idempotency("released")
            await self._release(record_key, token)
            return
        stored = {
            "status": status,
            "headers": [
                [k.decode("latin-1"), v.decode("latin-1")]
                for k, v in headers
                if k.lower() not in _NOT_STORED
            ],
            "body": base64.b64encode(b"".join(chunks)).decode("ascii"),
        }
        sealed = self.box.seal(orjson.dumps(stored).decode(), associated_data=record_key)
        try:
            if await self.backend.finish(record_key, token, sealed, self.options.ttl):
                counters.idempotency("stored")
            else:
                counters.idempotency("lock_expired")
                logger.warning("request outlived its idempotency lock; response not stored")
        except StorageError:
            counters.backend_error("redis", "idempotency")
            logger.warning("could not store an idempotent response; the key stays reserved")

    async def _release(self, record_key: str, token: str) -> None:
        with contextlib.suppress(StorageError):
            await self.backend.release(record_key, token)

    async def _replay(self, scope: Scope, send: Send, record_key: str, sealed: str) -> None:
        try:
            stored: dict[str, Any] = orjson.loads(self.box.open(sealed, associated_data=record_key))
        except (DecryptionError, orjson.JSONDecodeError):
            logger.error("a stored idempotent response could not be opened (secret key changed?)")
            await self._error(
                scope, send, 409, "conflict", "The stored response for this key is unreadable"
            )
            return
        counters.idempotency("replayed")
        body = base64.b64decode(stored["body"])
        raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored["headers"]]
        raw_headers += [
            (b"content-length", str(len(body)).encode()),
            (b"idempotent-replayed", b"true"),
        ]
        await send(
            {"type": "http.response.start", "status": stored["status"], "headers": raw_headers}
        )
        await send({"type": "http.response.body", "body": body})

    async def _backend_down(self, scope: Scope, receive: Receive, send: Send) -> None:
        counters.backend_error("redis", "idempotency")
        counters.idempotency("backend_error")
        if self.options.failure == "open":
            logger.warning("idempotency store unavailable; request runs without idempotency")
            await self.app(scope, receive, send)
            return
        await self._error(
            scope,
            send,
            503,
            "service_unavailable",
            "Idempotency store unavailable; retry later",
            headers={"Retry-After": "5"},
        )

    async def _error(
        self,
        scope: Scope,
        send: Send,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        error = ErrorBody(status, code, message, details, str(scope.get(SCOPE_REQUEST_ID, "")))
        await send_error(send, self.errors, error, headers)
