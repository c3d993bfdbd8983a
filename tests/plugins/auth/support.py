"""Helpers for auth tests (plain functions, importable from any test module): users,
sessions and keys made through the API."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.testclient import TestClient

from specway.plugins.auth import AuthRuntime
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


def register(client: TestClient, email: str | None = None, **fields: Any) -> dict[str, Any]:
    """Register a user through the API; the response body plus ``email``."""
    body = {"email": email or f"u-{secrets.token_hex(5)}@example.com", "password": PASSWORD}
    body.update(fields)
    response = client.post("/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    data["email"] = body["email"]
    return data


def mint_key(
    client: TestClient, token: str, scopes: list[str] | None = None, **fields: Any
) -> dict[str, Any]:
    """Create an API key with the session ``token``; the response body (with the secret)."""
    body = {"name": "k", "scopes": scopes or ["read", "write", "delete", "admin"], **fields}
    response = client.post("/v1/api-keys", json=body, headers=token_headers(token))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def with_peer_header(app: ASGIApp) -> ASGIApp:
    """Test-only wrapper: ``X-Test-Peer: <ip>`` sets the socket peer address of the request."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope.get("headers") or ():
                if name == b"x-test-peer":
                    scope["client"] = (value.decode(), 40000)
        await app(scope, receive, send)

    return wrapped
