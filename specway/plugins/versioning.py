"""The ``versioning`` plugin: API versions asked for by media type, as the seeds document.

With ``x-specway-versioning: {vendor: hexabase, versions: [v1], default: v1}`` a request may say
``Accept: application/vnd.hexabase.v1+json`` (or ``application/vnd.hexabase+json`` for the
default). A served version gets the response with that content type instead of
``application/json``; a request whose ``Accept`` only names versions this document does not
serve gets ``406`` in the error envelope, listing the supported media types. Anything else
(``application/json``, ``*/*``, no ``Accept``) passes untouched, so the path (``/v1``) alone
still selects the version.

The ``Accept`` header is rewritten to ``application/json`` before the request goes on, so no
later stage negotiates on the vendor type. Always installed; a no-op without the extension.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from specway.builder import AppBuilder
from specway.plugins.errors.envelope import ErrorBody, send_error
from specway.settings import Settings
from specway.spec import ErrorsConfig, SpecModel, VersioningConfig
from specway.types import SCOPE_REQUEST_ID, ASGIApp, Message, Receive, Scope, Send, header

# The version a request negotiated (e.g. ``"v1"``), for handlers that care.
SCOPE_API_VERSION = "specway.api_version"

_GENERIC = frozenset({"*/*", "application/*", "application/json"})


@dataclass(frozen=True, slots=True)
class Negotiated:
    """What ``Accept`` asked of this API: a served ``version``, or only unserved ``refused``."""

    version: str | None
    refused: tuple[str, ...] = ()


def negotiate(config: VersioningConfig, accept: str) -> Negotiated | None:
    """Read ``accept``; ``None`` when it names no media type of this vendor (or a generic one).

    Media ranges with ``q=0`` are ignored; the first served version in header order wins.
    """
    pattern = re.compile(
        rf"^application/vnd\.{re.escape(config.vendor)}(?:\.(v[0-9]+))?\+json$", re.IGNORECASE
    )
    refused: list[str] = []
    generic = False
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if _refused_by_quality(params):
            continue
        media = media.lower()
        match = pattern.match(media)
        if match is None:
            generic = generic or media in _GENERIC
            continue
        version = match.group(1) or config.default
        if version in config.versions:
            return Negotiated(version)
        refused.append(media)
    if refused and not generic:
        return Negotiated(None, tuple(refused))
    return None


def _refused_by_quality(params: list[str]) -> bool:
    """``q=0`` (RFC 9110: "not acceptable") among a media range's parameters."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip()) == 0.0
            except ValueError:
                return False
    return False


class VersioningMiddleware:
    """Checks ``Accept`` against the served versions and echoes the vendor content type."""

    def __init__(self, app: ASGIApp, *, config: VersioningConfig, errors: ErrorsConfig) -> None:
        self.app = app
        self.config = config
        self.errors = errors
        self.vendor_marker = f"vnd.{config.vendor}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        accept = header(scope, b"accept") if scope["type"] == "http" else None
        if accept is None or self.vendor_marker not in accept.lower():
            await self.app(scope, receive, send)
            return
        result = negotiate(self.config, accept.decode("latin-1"))
        if result is None:
            await self.app(scope, receive, send)
            return
        if result.version is None:
            await self._refuse(scope, send, result.refused)
            return
        scope[SCOPE_API_VERSION] = result.version
        scope["headers"] = [
            (k, b"application/json" if k == b"accept" else v) for k, v in scope["headers"]
        ]
        media = self.config.media_type(result.version).encode()

        async def send_vendor_type(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, media if k.lower() == b"content-type" and _is_json(v) else v)
                    for k, v in message.get("headers", [])
                ]
            await send(message)

        await self.app(scope, receive, send_vendor_type)

    async def _refuse(self, scope: Scope, send: Send, refused: tuple[str, ...]) -> None:
        supported = [self.config.media_type(v) for v in self.config.versions]
        asked = ", ".join(refused)
        error = ErrorBody(
            406,
            "not_acceptable",
            f"API version not served: {asked}; supported: {', '.join(supported)}",
            {"requested": list(refused), "supported": supported},
            str(scope.get(SCOPE_REQUEST_ID, "")),
        )
        await send_error(send, self.errors, error)


def _is_json(value: bytes) -> bool:
    return value.split(b";", 1)[0].strip().lower() == b"application/json"


class VersioningPlugin:
    """Installs :class:`VersioningMiddleware` when the spec declares ``x-specway-versioning``."""

    name = "versioning"

    def __init__(
        self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings
    ) -> None:
        self.spec = spec_model

    def install(self, builder: AppBuilder) -> None:
        if self.spec.versioning is not None:
            builder.wrap(VersioningMiddleware, config=self.spec.versioning, errors=self.spec.errors)
