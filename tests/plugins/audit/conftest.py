"""A test-only auth plugin (until the real one lands), audit scenario handlers and row access.

``FakeAuthPlugin`` maps fixed bearer tokens to principals: an outer wrapper sets the principal
for every request with a known token (as the auth plugin does), and a Connexion security
handler enforces the spec's scopes, so 401 and 403 come from the security stage itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from connexion.exceptions import OAuthProblem, OAuthScopeProblem
from connexion.lifecycle import ConnexionRequest
from connexion.security import NO_VALUE
from sqlalchemy import select
from starlette.testclient import TestClient

import plugins.registry
import specway.app
from plugins.audit import annotate
from plugins.audit.models import AuditLog
from spec import SpecModel
from specway import context
from specway.builder import AppBuilder
from specway.errors import Unauthorized
from specway.principal import Principal
from specway.settings import Settings
from specway.types import SCOPE_PRINCIPAL, ASGIApp, Receive, Scope, Send, header

SCENARIO = Path(__file__).resolve().parents[2] / "fixtures" / "audit" / "openapi.yaml"
ALL_SCOPES = frozenset({"read", "write", "delete", "admin"})

TOKENS: dict[str, Principal] = {
    "tok-SECRET-admin-a": Principal(
        "session", "ses_admin_a", "org_a", user_id="usr_admin_a", role="admin", scopes=ALL_SCOPES
    ),
    "tok-SECRET-member-a": Principal(
        "api_key",
        "key_member_a",
        "org_a",
        user_id="usr_member_a",
        role="member",
        scopes=frozenset({"read", "write", "delete"}),
        key_id="key_member_a",
    ),
    "tok-SECRET-scoped-member-a": Principal(
        "api_key", "key_scoped_a", "org_a", user_id="usr_scoped_a", role="member", scopes=ALL_SCOPES
    ),
    "tok-SECRET-admin-b": Principal(
        "session", "ses_admin_b", "org_b", user_id="usr_admin_b", role="admin", scopes=ALL_SCOPES
    ),
}


def bearer(name: str) -> dict[str, str]:
    """The Authorization header for a principal of :data:`TOKENS` by short name."""
    return {"Authorization": f"Bearer tok-SECRET-{name}"}


def _principal(raw: bytes | None) -> Principal | None:
    if not raw or not raw.startswith(b"Bearer "):
        return None
    return TOKENS.get(raw[7:].decode("latin-1"))


class PrincipalFromToken:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = _principal(header(scope, b"authorization"))
            if found is not None:
                scope[SCOPE_PRINCIPAL] = found
        await self.app(scope, receive, send)


class FakeBearer:
    """A Connexion security handler: known token → principal, then the scope check."""

    def get_fn(self, security_scheme: dict[str, Any], required_scopes: list[str]) -> Any:
        async def verify(request: ConnexionRequest) -> Any:
            raw = request.headers.get("authorization")
            if not raw:
                return NO_VALUE
            principal = _principal(raw.encode("latin-1"))
            if principal is None:
                raise OAuthProblem(detail="Invalid token")
            request.scope[SCOPE_PRINCIPAL] = principal
            if not set(required_scopes) <= principal.scopes:
                raise OAuthScopeProblem(sorted(principal.scopes), required_scopes)
            return {"principal": principal}

        return verify


class FakeAuthPlugin:
    name = "fake_auth"

    def __init__(self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings):
        pass

    def install(self, builder: AppBuilder) -> None:
        builder.security_map["bearer"] = FakeBearer
        builder.wrap(PrincipalFromToken)


@pytest.fixture(autouse=True)
def fake_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``"fake_auth"`` a plugin name ``create_app`` can load."""
    original = plugins.registry.plugin_class
    monkeypatch.setattr(
        specway.app,
        "plugin_class",
        lambda name: FakeAuthPlugin if name == "fake_auth" else original(name),
    )


# --- the audit scenario's handlers --------------------------------------------------------

PASSWORD = "hunter2-SECRET-password"


async def login(body: dict[str, Any]) -> Any:
    if body["password"] != PASSWORD:
        annotate(context.current_scope(), user_id="usr_victim", organization_id="org_a")
        raise Unauthorized("Invalid email or password")
    return {"token": "0123456789abcdef0123456789abcdef01234567"}, 200


async def create_api_key(body: dict[str, Any]) -> Any:
    return {"id": "key_new", "name": body.get("name"), "secret": "sk_live_SECRETRESPONSE0001"}, 201


async def revoke_api_key(key_id: str) -> Any:
    return None, 204


async def set_variable(name: str, body: dict[str, Any]) -> Any:
    return {"name": name, "updated": True}, 200


async def create_webhook(body: dict[str, Any]) -> Any:
    return {"id": "wh_1", "url": body.get("url"), "secret": "whsec_SECRETRESPONSE"}, 201


async def list_things() -> Any:
    return {"data": []}, 200


async def create_thing(body: dict[str, Any]) -> Any:
    return {"data": {"id": "thing_1", "name": body.get("name")}}, 201


async def update_thing(thing_id: str) -> Any:
    return {"id": thing_id}, 200


SCENARIO_HANDLERS: dict[str, Callable[..., Any]] = {
    "login": login,
    "createApiKey": create_api_key,
    "revokeApiKey": revoke_api_key,
    "setVariable": set_variable,
    "createWebhook": create_webhook,
    "listThings": list_things,
    "createThing": create_thing,
    "updateThing": update_thing,
}


@pytest.fixture
def scenario_client(app_factory: Callable[..., TestClient]) -> Callable[..., TestClient]:
    def make(**settings: Any) -> TestClient:
        return app_factory(
            SCENARIO,
            plugins=("audit", "fake_auth"),
            handlers=SCENARIO_HANDLERS,
            **settings,
        )

    return make


def audit_rows(client: TestClient) -> list[dict[str, Any]]:
    """Every stored audit row (oldest first), after the writer has flushed its queue."""
    state = client.app.state  # type: ignore[attr-defined]

    async def read() -> list[dict[str, Any]]:
        await state.services["audit"].flush()
        async with state.database.session() as session:
            rows = await session.execute(select(AuditLog).order_by(AuditLog.timestamp))
            return [
                {c.name: getattr(row, c.name) for c in AuditLog.__table__.columns}
                for row in rows.scalars()
            ]

    assert client.portal is not None
    return client.portal.call(read)


@pytest.fixture
def rows() -> Callable[[TestClient], list[dict[str, Any]]]:
    """``rows(client)``: the stored audit rows (see :func:`audit_rows`)."""
    return audit_rows


@pytest.fixture
def auth() -> Callable[[str], dict[str, str]]:
    """``auth("admin-a")``: the Authorization header of a test principal."""
    return bearer
