"""``CorsPolicy``: the CORS decisions of one app, planned once at startup.

``x-specway-cors`` (or ``SPECWAY_CORS_ORIGINS`` for the origins) becomes a set of exact origins,
compiled patterns for ``https://*.example.com`` forms and the header values every answer
carries, already encoded; a request then costs a set lookup (or a few regex matches) and no
string building.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from specway.errors import ConfigError
from specway.spec.extensions import CORS_ORIGIN, CorsConfig

# Request headers a browser may send cross-origin without asking (Fetch's CORS-safelisted
# request headers); Content-Type is listed because browsers still name it in a preflight when
# its value is not one of the three form types (``application/json`` always is not).
SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type"})


def _origin_pattern(origin: str) -> re.Pattern[str]:
    """``https://*.example.com[:port]`` → a pattern matching any subdomain (not the bare host)."""
    scheme, _, rest = origin.partition("://*.")
    return re.compile(rf"^{re.escape(scheme)}://[a-z0-9-]+(?:\.[a-z0-9-]+)*\.{re.escape(rest)}$")


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """Which origins, methods and headers a cross-origin request may use, and what it gets."""

    any_origin: bool
    exact: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]
    methods: frozenset[str]
    any_header: bool
    headers: frozenset[str]
    credentials: bool
    allow_methods: bytes
    allow_headers: bytes
    expose_headers: bytes
    max_age: bytes

    @classmethod
    def plan(cls, config: CorsConfig, origins: tuple[str, ...] = ()) -> CorsPolicy:
        """Plan ``config``; ``origins`` (``SPECWAY_CORS_ORIGINS``), when given, replaces its
        origins. ``ConfigError`` for no origins at all, a malformed override or ``*`` with
        credentials (lint already refuses that in the spec; the override can bring it back)."""
        source = "SPECWAY_CORS_ORIGINS" if origins else "x-specway-cors.origins"
        chosen = origins or config.origins
        if not chosen:
            raise ConfigError(
                "plugin 'cors' runs but no origin is allowed: list them in "
                "x-specway-cors.origins or set SPECWAY_CORS_ORIGINS"
            )
        bad = [o for o in chosen if re.fullmatch(CORS_ORIGIN, o) is None]
        if bad:
            raise ConfigError(
                f"{source}: {bad[0]!r} is not an origin; use scheme://host[:port], "
                "scheme://*.domain or *"
            )
        any_origin = "*" in chosen
        if any_origin and config.credentials:
            raise ConfigError(
                f"{source}: origin '*' cannot be combined with x-specway-cors.credentials; "
                "list the origins that may send credentials"
            )
        lowered = [o.lower() for o in chosen if o != "*"]
        allowed_headers = frozenset(h.lower() for h in config.headers if h != "*")
        return cls(
            any_origin=any_origin,
            exact=frozenset(o for o in lowered if "://*." not in o),
            patterns=tuple(_origin_pattern(o) for o in lowered if "://*." in o),
            methods=frozenset(m.upper() for m in config.methods),
            any_header="*" in config.headers,
            headers=allowed_headers | SAFELISTED_HEADERS,
            credentials=config.credentials,
            allow_methods=", ".join(config.methods).encode("latin-1"),
            allow_headers=", ".join(h for h in config.headers if h != "*").encode("latin-1"),
            expose_headers=", ".join(config.expose_headers).encode("latin-1"),
            max_age=str(config.max_age).encode("ascii"),
        )

    def allows(self, origin: str) -> bool:
        """Whether a page served from ``origin`` may call the API."""
        if self.any_origin:
            return True
        origin = origin.lower()
        return origin in self.exact or any(p.match(origin) for p in self.patterns)

    def allow_origin(self, origin: bytes) -> bytes:
        """The ``Access-Control-Allow-Origin`` value for an allowed ``origin``: ``*`` when every
        origin is allowed (never with credentials, refused by :meth:`plan`), else the origin."""
        return b"*" if self.any_origin else origin

    @property
    def varies(self) -> bool:
        """Whether answers depend on ``Origin`` (so shared caches must key on it)."""
        return not self.any_origin

    def refused_headers(self, requested: str) -> list[str]:
        """The headers of an ``Access-Control-Request-Headers`` value this policy refuses."""
        if self.any_header:
            return []
        names = (h.strip().lower() for h in requested.split(","))
        return [h for h in names if h and h not in self.headers]
