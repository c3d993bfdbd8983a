"""Connexion security handlers for ``bearerAuth`` and ``tokenAuth``.

Plugged in through ``security_map``: Connexion asks each handler class once per operation and
scheme for a verification function (so the required scopes are bound at startup) and calls it
per request. ``bearerAuth`` is ``http``/``bearer`` (``Authorization: Bearer <key or token>``);
``tokenAuth`` is an ``apiKey`` scheme on the ``Authorization`` header with the ``Token`` prefix
(``Authorization: Token <session token>``, as KeyNest).

A verifier answers "not mine" (Connexion's ``NO_VALUE``) for a missing header or another
scheme, and raises 401 (with ``WWW-Authenticate``) or 403 for a credential in its own scheme
that fails. When no accepted scheme was used at all, Connexion raises ``OAuthProblem``, which
:func:`challenge_handler` renders as a 401 with the challenge; so every refusal leaves in the
error envelope with ``WWW-Authenticate``. When an operation accepts both schemes Connexion
raises the most specific error (403 before 401). On success the principal goes to
``scope["specway.principal"]`` and into Connexion's ``token_info``. A valid credential refused
with 403 (missing scope, IP outside the allow-list) leaves its principal in
``scope["specway.principal.refused"]`` only, so the audit log can name who was refused while no
later stage treats the request as theirs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from connexion.exceptions import OAuthProblem
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.security import NO_VALUE, AbstractSecurityHandler

from specway.errors import ConfigError, Forbidden
from specway.plugins.auth.authenticator import Authenticator, challenge, unauthorized
from specway.plugins.auth.mode import mark_test_mode
from specway.plugins.errors.handlers import ErrorRenderer
from specway.principal import Principal
from specway.spec import ErrorsConfig
from specway.types import SCOPE_CLIENT_IP, SCOPE_PRINCIPAL, SCOPE_REFUSED_PRINCIPAL, Scope, header

Verifier = Callable[[Any], Awaitable[Any]]


def client_ip(scope: Scope) -> str | None:
    """The caller's address: the proxy-aware one when set, else the socket peer."""
    found = scope.get(SCOPE_CLIENT_IP)
    if found:
        return str(found)
    client = scope.get("client")
    return str(client[0]) if client else None


def token_info(principal: Principal) -> dict[str, Any]:
    """What Connexion keeps as ``token_info`` (``sub`` is its notion of the user)."""
    return {
        "sub": principal.user_id or principal.id,
        "principal": principal,
        "scope": sorted(principal.scopes),
    }


def make_verifier(
    authenticator: Authenticator, scheme: bytes, required: frozenset[str]
) -> Verifier:
    """The per-operation check: right scheme, valid credential, every required scope."""
    needed = sorted(required)

    async def verify(request: Any) -> Any:
        scope: Scope = request.scope
        raw = header(scope, b"authorization")
        if raw is None:
            return NO_VALUE
        given_scheme, _, credential = raw.strip().partition(b" ")
        if given_scheme.lower() != scheme:
            return NO_VALUE
        try:
            token = credential.strip().decode("ascii")
        except UnicodeDecodeError:
            raise unauthorized("Invalid credentials", invalid=True) from None
        entry = await authenticator.identify(token)
        try:
            principal = authenticator.admit(entry, client_ip(scope))
            missing = required - principal.scopes
            if missing:
                names = sorted(missing)
                raise Forbidden(
                    f"Missing scope: {', '.join(names)}",
                    details={"missing_scopes": names, "required_scopes": needed},
                )
        except Forbidden:
            # Known but not allowed here: say who was refused (for the audit log), without
            # making them this request's principal.
            scope[SCOPE_REFUSED_PRINCIPAL] = entry.principal
            raise
        scope[SCOPE_PRINCIPAL] = principal
        if principal.test_mode:
            mark_test_mode(scope)
        return token_info(principal)

    return verify


def security_map(authenticator: Authenticator) -> dict[str, type[AbstractSecurityHandler]]:
    """Handler classes bound to ``authenticator``, for ``AsyncApp(security_map=...)``."""

    class BearerHandler(AbstractSecurityHandler):  # type: ignore[misc]
        def get_fn(self, security_scheme: dict[str, Any], required_scopes: Any) -> Verifier:
            return make_verifier(authenticator, b"bearer", frozenset(required_scopes or ()))

    class TokenHandler(AbstractSecurityHandler):  # type: ignore[misc]
        def get_fn(self, security_scheme: dict[str, Any], required_scopes: Any) -> Verifier:
            where = (security_scheme.get("in"), str(security_scheme.get("name", "")).lower())
            if where != ("header", "authorization"):
                raise ConfigError(
                    "auth plugin: apiKey security schemes must be "
                    "{in: header, name: Authorization} (the 'Token <token>' scheme)"
                )
            return make_verifier(authenticator, b"token", frozenset(required_scopes or ()))

    return {"bearer": BearerHandler, "apiKey": TokenHandler}


def challenge_handler(
    errors: ErrorsConfig,
) -> Callable[[ConnexionRequest, OAuthProblem], ConnexionResponse]:
    """Render Connexion's "no credentials for any accepted scheme" 401 with the challenge."""
    renderer = ErrorRenderer(errors)

    def handle(request: ConnexionRequest, exc: OAuthProblem) -> ConnexionResponse:
        exc.detail = "Authentication required"
        exc.headers = {**(exc.headers or {}), "WWW-Authenticate": challenge()}
        return renderer.problem(request, exc)

    return handle
