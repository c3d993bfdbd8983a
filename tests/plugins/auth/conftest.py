"""Fixtures for the auth plugin's tests: users, sessions and keys made through the API."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from plugins.auth import AuthRuntime
from specway.types import ASGIApp, Receive, Scope, Send

PASSWORD = "correct-horse-battery"


def runtime_of(client: TestClient) -> AuthRuntime:
    """The auth runtime of the app behind ``client``."""
    runtime: AuthRuntime = client.app.state.services["auth"]  # type: ignore[attr-defined]
    return runtime


def token_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def register() -> Callable[..., dict[str, Any]]:
    """``register(client, email=None, **fields)`` → the register response body."""

    def make(client: TestClient, email: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {"email": email or f"u-{secrets.token_hex(5)}@example.com", "password": PASSWORD}
        body.update(fields)
        response = client.post("/v1/auth/register", json=body)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        data["email"] = body["email"]
        return data

    return make


@pytest.fixture
def mint_key() -> Callable[..., dict[str, Any]]:
    """``mint_key(client, token, scopes=[...], **fields)`` → the created key (with secret)."""

    def make(
        client: TestClient, token: str, scopes: list[str] | None = None, **fields: Any
    ) -> dict[str, Any]:
        body = {"name": "k", "scopes": scopes or ["read", "write", "delete", "admin"], **fields}
        response = client.post("/v1/api-keys", json=body, headers=token_headers(token))
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        return data

    return make


def with_peer_header(app: ASGIApp) -> ASGIApp:
    """Test-only wrapper: ``X-Test-Peer: <ip>`` sets the socket peer address of the request."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope.get("headers") or ():
                if name == b"x-test-peer":
                    scope["client"] = (value.decode(), 40000)
        await app(scope, receive, send)

    return wrapped
