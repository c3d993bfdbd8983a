"""A stand-in for the auth plugin in these tests: ``Bearer test:<org>:<scopes>`` tokens.

``<org>`` is an organisation id (``-`` for none, like the anonymous projects of the
reference API) and ``<scopes>`` a comma-separated list. It installs Connexion security handlers
the way ``plugins.auth`` does (principal in the scope and in ``token_info``; 403 for a missing
scope), so scopes and tenant isolation can be tested before the real plugin is merged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from connexion.security import NO_VALUE, AbstractSecurityHandler

from specway.builder import AppBuilder
from specway.errors import Forbidden, Unauthorized
from specway.principal import Principal
from specway.settings import Settings
from specway.spec import SpecModel
from specway.types import SCOPE_PRINCIPAL, header

ALL_SCOPES = "read,write,delete,admin"


def bearer(org: str | None = None, scopes: str = ALL_SCOPES) -> dict[str, str]:
    """The ``Authorization`` header for a test principal."""
    return {"Authorization": f"Bearer test:{org or '-'}:{scopes}"}


def _principal(token: str) -> Principal:
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "test":
        raise Unauthorized("Invalid credentials")
    org = None if parts[1] == "-" else parts[1]
    scopes = frozenset(s for s in parts[2].split(",") if s)
    return Principal(kind="api_key", id=f"key_{org or 'none'}", organization_id=org, scopes=scopes)


class FakeBearer(AbstractSecurityHandler):  # type: ignore[misc]
    def get_fn(
        self, security_scheme: dict[str, Any], required_scopes: Any
    ) -> Callable[[Any], Awaitable[Any]]:
        required = frozenset(required_scopes or ())

        async def verify(request: Any) -> Any:
            raw = header(request.scope, b"authorization")
            if not raw:
                return NO_VALUE
            scheme, _, token = raw.decode("ascii").partition(" ")
            if scheme.lower() != "bearer":
                return NO_VALUE
            principal = _principal(token)
            missing = sorted(required - principal.scopes)
            if missing:
                raise Forbidden(f"Missing scope: {', '.join(missing)}")
            request.scope[SCOPE_PRINCIPAL] = principal
            return {"sub": principal.id, "principal": principal, "scope": sorted(principal.scopes)}

        return verify


class FakeAuthPlugin:
    name = "fake_auth"

    def __init__(
        self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings
    ) -> None:
        pass

    def install(self, builder: AppBuilder) -> None:
        builder.security_map["bearer"] = FakeBearer
