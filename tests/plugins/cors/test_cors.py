"""The ``cors`` plugin: real preflights and requests through the whole reference app.

The app is a variant of the reference spec with ``cors`` in its plugins, so a preflight meets
the real stack: request id, Connexion's routing, the auth plugin's security handlers and the
rate limiter (anonymous budget cut to 3 a minute, so 429 is a few requests away).
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from specway.app import create_app
from specway.errors import ConfigError
from specway.plugins.cors import CorsMiddleware, CorsPolicy
from specway.settings import Settings
from specway.spec import ErrorsConfig, build_model, load_spec_document
from specway.spec.extensions import CorsConfig
from specway.types import Message, Receive, Scope, Send
from tests.conftest import AuthIdentity, write_variant

ROOT = Path(__file__).resolve().parents[3]
APP = "https://app.example.com"
PREFLIGHT = {"Origin": APP, "Access-Control-Request-Method": "POST"}


def _document(cors: Any, **extra: Any) -> dict[str, Any]:
    document = copy.deepcopy(load_spec_document(ROOT / "openapi.yaml"))
    document["x-specway-plugins"] = [*document["x-specway-plugins"], "cors"]
    document["x-specway-cors"] = cors
    document["x-specway-ratelimit"]["anonymous"] = {"burst": 3}
    document.update(extra)
    return document


@pytest.fixture
def cors_app(tmp_path: Path, app_factory: Callable[..., TestClient]) -> Callable[..., TestClient]:
    """``cors_app(cors={...}, **settings)``: the reference API with that ``x-specway-cors``."""

    def make(cors: Any = None, **settings: Any) -> TestClient:
        config = {"origins": [APP, "https://*.example.dev"]} if cors is None else cors
        spec = write_variant(_document(config), tmp_path)
        return app_factory(spec, **settings)

    return make


def test_allowed_preflight_is_answered_without_a_key(cors_app: Callable[..., TestClient]) -> None:
    client = cors_app()
    # POST /v1/projects needs an API key with the write scope; the preflight carries none.
    response = client.options(
        "/v1/projects",
        headers={**PREFLIGHT, "Access-Control-Request-Headers": "authorization, content-type"},
    )
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == APP
    assert set(response.headers["access-control-allow-methods"].split(", ")) >= {
        "GET",
        "POST",
        "PATCH",
        "DELETE",
    }
    assert response.headers["access-control-allow-headers"] == (
        "Authorization, Idempotency-Key, X-Request-ID"
    )
    assert response.headers["access-control-max-age"] == "600"
    assert response.headers["vary"] == "Origin"
    assert "access-control-allow-credentials" not in response.headers
    assert response.headers["x-request-id"].startswith("req_")
    # Neither authentication nor the rate limiter saw it.
    assert "www-authenticate" not in response.headers
    assert "x-ratelimit-remaining" not in response.headers


def test_wildcard_subdomain_origin(cors_app: Callable[..., TestClient]) -> None:
    client = cors_app()
    ok = client.options("/v1/projects", headers={**PREFLIGHT, "Origin": "https://a.b.example.dev"})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == "https://a.b.example.dev"
    for origin in ("https://example.dev", "http://a.example.dev", "https://a.example.dev.evil.io"):
        refused = client.options("/v1/projects", headers={**PREFLIGHT, "Origin": origin})
        assert refused.status_code == 403, origin


def test_disallowed_preflight_gets_403_in_the_envelope(
    cors_app: Callable[..., TestClient],
) -> None:
    client = cors_app()
    response = client.options(
        "/v1/projects", headers={**PREFLIGHT, "Origin": "https://evil.example.com"}
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden"
    assert error["message"] == "Origin https://evil.example.com is not allowed"
    assert error["details"] == {"origin": "https://evil.example.com"}
    assert error["request_id"] == response.headers["x-request-id"]
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["vary"] == "Origin"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Access-Control-Request-Method": "TRACE"}, "Method TRACE is not allowed"),
        ({"Access-Control-Request-Headers": "x-secret, content-type"}, "headers not allowed"),
    ],
)
def test_preflight_for_a_method_or_header_not_allowed(
    cors_app: Callable[..., TestClient], headers: dict[str, str], message: str
) -> None:
    response = cors_app().options("/v1/projects", headers={**PREFLIGHT, **headers})
    assert response.status_code == 403
    assert message in response.json()["error"]["message"]
    assert "access-control-allow-origin" not in response.headers


def test_preflights_are_not_counted_by_the_rate_limiter(
    cors_app: Callable[..., TestClient],
) -> None:
    client = cors_app()
    for _ in range(10):  # the anonymous budget is 3 a minute
        assert client.options("/v1/projects", headers=PREFLIGHT).status_code == 204
    first = client.post("/v1/auth/login", json={"email": "a@example.com", "password": "x" * 12})
    assert first.status_code != 429
    assert first.headers["x-ratelimit-remaining"] == "2"


def test_actual_requests_carry_cors_headers_on_200_401_and_429(
    cors_app: Callable[..., TestClient], auth_factory: Callable[..., AuthIdentity]
) -> None:
    client = cors_app()
    identity = auth_factory(client)
    ok = client.get("/v1/projects", headers={**identity.headers, "Origin": APP})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == APP
    exposed = ok.headers["access-control-expose-headers"].split(", ")
    assert {"X-Request-ID", "X-RateLimit-Remaining", "RateLimit", "Retry-After"} <= set(exposed)
    assert ok.headers["vary"] == "Origin"

    statuses = []
    for _ in range(6):
        refused = client.get("/v1/projects", headers={"Origin": APP})
        statuses.append(refused.status_code)
        assert refused.headers["access-control-allow-origin"] == APP
        assert refused.headers["access-control-expose-headers"]
    assert statuses[0] == 401
    assert statuses[-1] == 429, statuses


def test_actual_request_from_another_origin_gets_no_allow_origin(
    cors_app: Callable[..., TestClient],
) -> None:
    client = cors_app()
    response = client.get("/health", headers={"Origin": "https://evil.example.com"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["vary"] == "Origin"
    # No Origin at all: the answer still varies by origin, for shared caches.
    assert client.get("/health").headers["vary"] == "Origin"


def test_credentials_echo_the_origin(cors_app: Callable[..., TestClient]) -> None:
    client = cors_app({"origins": ["https://*.example.com"], "credentials": True, "max_age": 60})
    origin = "https://dash.example.com"
    preflight = client.options("/v1/projects", headers={**PREFLIGHT, "Origin": origin})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert preflight.headers["access-control-max-age"] == "60"
    actual = client.get("/health", headers={"Origin": origin})
    assert actual.headers["access-control-allow-origin"] == origin
    assert actual.headers["access-control-allow-credentials"] == "true"


def test_any_origin_without_credentials_sends_a_star(cors_app: Callable[..., TestClient]) -> None:
    client = cors_app({"origins": ["*"], "headers": ["*"]})
    preflight = client.options(
        "/v1/projects",
        headers={**PREFLIGHT, "Origin": "https://x.io", "Access-Control-Request-Headers": "x-a"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-headers"] == "x-a"
    assert "vary" not in preflight.headers
    actual = client.get("/health", headers={"Origin": "https://x.io"})
    assert actual.headers["access-control-allow-origin"] == "*"


def test_the_environment_replaces_the_spec_origins(cors_app: Callable[..., TestClient]) -> None:
    client = cors_app(cors_origins=("https://staging.example.org",))
    assert client.options("/v1/projects", headers=PREFLIGHT).status_code == 403
    staged = {**PREFLIGHT, "Origin": "https://staging.example.org"}
    assert client.options("/v1/projects", headers=staged).status_code == 204


def test_preflight_is_answered_before_connexion(tmp_path: Path) -> None:
    """The stack order: the wrapper answers before any Connexion stage (routing, security)."""
    spec = write_variant(_document({"origins": [APP]}), tmp_path)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", secret_key="k" * 32
    )
    app = create_app(spec, settings)
    node: Any = app.asgi
    chain = [type(node).__name__]
    while chain[-1] != "ReferenceRoutes":
        node = node.app
        chain.append(type(node).__name__)
    assert "CorsMiddleware" in chain
    assert chain.index("RequestIdMiddleware") < chain.index("CorsMiddleware")
    assert chain.index("CorsMiddleware") < chain.index("ReferenceRoutes")


def test_non_http_scopes_pass_through() -> None:
    seen: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        raise AssertionError("nothing is sent for a lifespan scope")

    policy = CorsPolicy.plan(CorsConfig(origins=(APP,), methods=("GET",)))
    middleware = CorsMiddleware(inner, policy=policy, errors=ErrorsConfig())
    asyncio.run(middleware({"type": "lifespan"}, receive, send))
    assert seen == ["lifespan"]


def test_lint_reports_bad_config_with_pointers() -> None:
    document = _document(
        {
            "origins": ["*", "ftp://x.io", "https://app.example.com/"],
            "credentials": True,
            "max_age": -1,
            "method": ["GET"],
        }
    )
    _, problems = build_model(document)
    found = {p.pointer: p.message for p in problems}
    assert "/x-specway-cors/origins/0" in found  # '*' with credentials
    assert "credentials" in found["/x-specway-cors/origins/0"]
    assert "/x-specway-cors/origins/1" in found
    assert "/x-specway-cors/origins/2" in found
    assert "/x-specway-cors/max_age" in found
    assert found["/x-specway-cors"] == "unknown key 'method'"


def test_lint_warns_when_the_plugin_does_not_run() -> None:
    document = _document({"origins": [APP]})
    document["x-specway-plugins"] = [p for p in document["x-specway-plugins"] if p != "cors"]
    model, problems = build_model(document)
    assert [(p.pointer, p.level.value) for p in problems] == [("/x-specway-cors", "warning")]
    assert model.cors is not None
    assert model.cors.origins == (APP,)
    assert "POST" in model.cors.methods


@pytest.mark.parametrize(
    ("config", "origins", "message"),
    [
        (CorsConfig(), (), "no origin is allowed"),
        (CorsConfig(origins=(APP,), credentials=True), ("*",), "cannot be combined"),
        (CorsConfig(origins=(APP,)), ("app.example.com",), "is not an origin"),
    ],
)
def test_startup_refuses_unusable_origins(
    config: CorsConfig, origins: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        CorsPolicy.plan(config, origins)


def test_an_unserved_version_is_refused_with_the_cors_headers(
    tmp_path: Path, app_factory: Callable[..., TestClient]
) -> None:
    # cors wraps versioning, so a browser can read the 406 that names the served versions.
    document = _document(
        {"origins": [APP]}, **{"x-specway-versioning": {"vendor": "acme", "versions": ["v1"]}}
    )
    client = app_factory(write_variant(document, tmp_path))
    refused = client.get(
        "/health", headers={"Origin": APP, "Accept": "application/vnd.acme.v9+json"}
    )
    assert refused.status_code == 406, refused.text
    assert refused.headers["access-control-allow-origin"] == APP
    assert refused.headers["vary"] == "Origin"
