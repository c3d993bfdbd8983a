"""Shared fixtures: settings and app factories, database URLs for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from specway.app import SpecwayApp, create_app
from specway.settings import Settings
from specway.spec.layout import handlers_location

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_SPEC = ROOT / "openapi.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_ADMIN_DSN = os.environ.get("SPECWAY_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SPECWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def write_variant(
    document: dict[str, Any], folder: Path, *, of: Path = REFERENCE_SPEC, name: str = "openapi.yaml"
) -> Path:
    """Write ``document``, a variant of the project whose spec is ``of``, into ``folder``.

    The variant keeps that project's code and tables: ``x-specway-handlers`` is set to the path
    of its handlers package (a spec written elsewhere has no ``handlers/`` beside it, and specway
    never falls back to another package of that name) and ``x-specway-migrations`` to its
    migration folders, unless ``document`` names its own.
    """
    original = yaml.safe_load(of.read_text(encoding="utf-8"))
    root, package = handlers_location(of, original.get("x-specway-handlers"))
    declared = original.get("x-specway-migrations", "migrations")
    folders = [declared] if isinstance(declared, str) else declared
    document = {
        "x-specway-migrations": [str((of.parent / f).resolve()) for f in folders],
        **document,
        "x-specway-handlers": str(root.joinpath(*package.split("."))),
    }
    path = folder / name
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), "utf-8")
    return path


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"specway_t_{secrets.token_hex(6)}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on SQLite and on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'specway.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def settings_factory(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'specway.db'}",
            "secret_key": "test-secret-key-0123456789abcdef",
            "spec_path": str(REFERENCE_SPEC),
            "webhook_allowed_networks": ("127.0.0.1/32",),
            "webhook_allow_http": True,
            # scrypt N = 2**10 instead of 2**15: registering users in tests stays fast.
            "auth_scrypt_log_n": 10,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def app_factory(settings_factory: Callable[..., Settings]) -> Iterator[Callable[..., TestClient]]:
    """Build an app (reference spec by default) and return a started ``TestClient``."""
    clients: list[TestClient] = []

    def make(
        spec: str | Path | None = None,
        *,
        plugins: tuple[str, ...] | None = None,
        handlers: dict[str, Any] | None = None,
        **settings: Any,
    ) -> TestClient:
        app: SpecwayApp = create_app(
            spec or REFERENCE_SPEC, settings_factory(**settings), plugins=plugins, handlers=handlers
        )
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def client(app_factory: Callable[..., TestClient]) -> TestClient:
    """The reference API on SQLite with in-memory backends."""
    return app_factory()


ALL_SCOPES = ("read", "write", "delete", "admin")
PASSWORD = "correct-horse-battery"
ROLE_SCOPES = {"admin": ALL_SCOPES, "member": ("read", "write", "delete"), "viewer": ("read",)}


@dataclass
class AuthIdentity:
    """A registered user, the organisation they act in and an API key minted for them."""

    email: str
    user_id: str
    organization_id: str
    session_token: str
    key: str
    key_id: str
    headers: dict[str, str] = field(default_factory=dict)
    password: str = PASSWORD

    @property
    def session_headers(self) -> dict[str, str]:
        """``Authorization: Token <session token>``: act as the user's session, not the key."""
        return {"Authorization": f"Token {self.session_token}"}


def _register(client: TestClient) -> dict[str, Any]:
    email = f"user-{secrets.token_hex(6)}@example.com"
    registered = client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    body: dict[str, Any] = registered.json()
    body["email"] = email
    return body


def _mint_key(client: TestClient, token: str, scopes: tuple[str, ...]) -> dict[str, Any]:
    created = client.post(
        "/v1/api-keys",
        json={"name": "test key", "scopes": list(scopes)},
        headers={"Authorization": f"Token {token}"},
    )
    assert created.status_code == 201, created.text
    key: dict[str, Any] = created.json()
    return key


def _identity(
    email: str, user_id: str, organization_id: str, token: str, key: dict[str, Any]
) -> AuthIdentity:
    return AuthIdentity(
        email=email,
        user_id=user_id,
        organization_id=organization_id,
        session_token=token,
        key=key["key"],
        key_id=key["id"],
        headers={"Authorization": f"Bearer {key['key']}"},
    )


@pytest.fixture
def auth_factory() -> Callable[..., AuthIdentity]:
    """Make an authenticated caller on a client of the reference API (auth plugin on).

    ``identity = auth_factory(client, scopes=("read",))`` registers a fresh user (with their own
    organisation, of which they are admin) and mints an API key with ``scopes`` (default: all
    four); send ``headers=identity.headers`` (``Authorization: Bearer <key>``), or
    ``identity.session_headers`` to act as the session. Each call is a new tenant.
    """

    def make(client: TestClient, scopes: tuple[str, ...] = ALL_SCOPES) -> AuthIdentity:
        body = _register(client)
        token = body["token"]
        key = _mint_key(client, token, scopes)
        return _identity(body["email"], body["user"]["id"], body["organization"]["id"], token, key)

    return make


@pytest.fixture
def member_factory() -> Callable[..., AuthIdentity]:
    """Make another user of an existing organisation, over HTTP.

    ``member_factory(client, admin, role="member", scopes=None)`` registers a user, has
    ``admin`` (an :class:`AuthIdentity` with the admin scope) add them to ``admin``'s
    organisation with ``role``, logs them in there and mints their key there (default scopes:
    all their role allows). The identity's session and key both act in that organisation.
    """

    def make(
        client: TestClient,
        admin: AuthIdentity,
        role: str = "member",
        scopes: tuple[str, ...] | None = None,
    ) -> AuthIdentity:
        body = _register(client)
        org = admin.organization_id
        added = client.post(
            f"/v1/organizations/{org}/members",
            json={"email": body["email"], "role": role},
            headers=admin.headers,
        )
        assert added.status_code == 201, added.text
        login = client.post(
            "/v1/auth/login",
            json={"email": body["email"], "password": PASSWORD, "organization_id": org},
        )
        assert login.status_code == 200, login.text
        token = login.json()["token"]
        key = _mint_key(client, token, scopes or ROLE_SCOPES[role])
        return _identity(body["email"], body["user"]["id"], org, token, key)

    return make
