"""Audit fixtures: the scenario spec's handlers, an issuer of real credentials, row access.

Every app here runs the real ``auth`` plugin. Users and keys are made over HTTP: on the app
under test itself when it is the reference API, or on an *issuer* (the reference API with the
auth plugin only, so it writes no audit rows) sharing the database of a scenario app, whose
spec has no auth endpoints of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from specway import context
from specway.errors import Unauthorized
from specway.plugins.audit import annotate
from specway.plugins.audit.models import AuditLog

SCENARIO = Path(__file__).resolve().parents[2] / "fixtures" / "audit" / "openapi.yaml"


@pytest.fixture
def issuer(app_factory: Callable[..., TestClient]) -> Callable[..., TestClient]:
    """``issuer(**settings)``: the reference API with only the auth plugin (no audit rows).

    With the same settings as an app under test (by default the same SQLite file) it shares
    that app's database, so ``auth_factory(issuer())`` makes users and keys the app accepts.
    """

    def make(**settings: Any) -> TestClient:
        return app_factory(plugins=("auth",), **settings)

    return make


# --- the audit scenario's handlers --------------------------------------------------------
# Stand-ins for the scenario spec's own operations (variables, webhooks, free-form things, and
# a login/key pair with made-up secrets). The real auth endpoints are audited on the reference
# API (test_audit_recording, test_audit_secrets).

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
            plugins=("auth", "audit"),
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
