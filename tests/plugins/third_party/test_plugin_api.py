"""A third-party plugin built only on ``specway.plugins.api``, switched on from a spec."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from specway.app import create_app
from specway.errors import ConfigError
from specway.plugins import api
from specway.settings import Settings
from tests.plugins.third_party.support import SitePackages

DEMO = """
from typing import Any

from specway.plugins.api import (
    AppBuilder,
    ASGIApp,
    Forbidden,
    Message,
    Receive,
    Scope,
    Send,
    SpecwayPlugin,
    Stage,
    client_ip,
    counter,
    header,
    operation,
    principal,
    request_id,
    send_error,
)

SEEN = counter("demo_plugin_requests", "Requests the demo plugin saw.", ["operation"])


class Gate:
    def __init__(self, app: ASGIApp, *, plugin: "Plugin") -> None:
        self.app = app
        self.plugin = plugin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        op = operation(scope)
        SEEN.labels(op.operation_id if op else "none").inc()
        if header(scope, "X-Demo") == "raise":
            raise Forbidden("Refused by the demo plugin", code="demo_refused",
                            details={"ip": client_ip(scope)})
        tag = self.plugin.operation_extension(op.operation_id)["tag"] if op else ""
        known = [
            (b"x-demo-operation", (op.operation_id if op else "").encode()),
            (b"x-demo-ip", client_ip(scope).encode()),
            (b"x-demo-principal", repr(principal(scope)).encode()),
            (b"x-demo-request-id", request_id(scope).encode()),
            (b"x-demo-tag", tag.encode()),
        ]

        async def send_known(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *known]
            await send(message)

        await self.app(scope, receive, send_known)


class Door:
    '''An outer wrapper: before routing, outside Connexion's error handling.'''

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/closed":
            await send_error(scope, send, Forbidden("The door is closed", headers={"X-Door": "1"}))
            return
        await self.app(scope, receive, send)


class Plugin(SpecwayPlugin):
    name = "demo"
    extension_key = "x-demo"
    extension_schema = {"type": "object", "properties": {"tag": {"type": "string"}}}
    extension_levels = ("document", "operation")

    def install(self, builder: AppBuilder) -> None:
        builder.add_middleware(Gate, Stage.AUTHENTICATED, plugin=self)
        builder.wrap(Door)
"""


def spec(tmp_path: Path, style: str = "flat") -> Path:
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "Demo", "version": "1"},
        "x-specway-plugins": ["request_id", "errors", "metrics", "demo"],
        "x-specway-errors": {"style": style},
        "x-demo": {"tag": "document"},
        "paths": {
            "/ping": {
                "get": {
                    "operationId": "ping",
                    "summary": "Ping",
                    "tags": ["Ping"],
                    "security": [],
                    "x-demo": {"tag": "operation"},
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/pong": {
                "get": {
                    "operationId": "pong",
                    "summary": "Pong",
                    "tags": ["Ping"],
                    "security": [],
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
    }
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.fixture
def demo_client(
    site: SitePackages, tmp_path: Path, settings_factory: Callable[..., Settings]
) -> Any:
    site.add("demo", DEMO)
    handlers = {"ping": lambda: {"pong": True}, "pong": lambda: {"ping": True}}
    app = create_app(spec(tmp_path), settings_factory(), handlers=handlers)
    with TestClient(app, raise_server_exceptions=False, client=("198.51.100.7", 4000)) as client:
        yield client


def test_the_plugin_sees_operation_ip_principal_and_config(demo_client: TestClient) -> None:
    reply = demo_client.get("/ping", headers={"X-Request-ID": "req-demo-1"})
    assert reply.status_code == 200, reply.text
    assert reply.headers["x-demo-operation"] == "ping"
    assert reply.headers["x-demo-ip"] == "198.51.100.7"
    assert reply.headers["x-demo-principal"] == "None"
    assert reply.headers["x-demo-request-id"] == "req-demo-1"
    # operation_extension: the operation's value wins over the document's.
    assert reply.headers["x-demo-tag"] == "operation"
    assert demo_client.get("/pong").headers["x-demo-tag"] == "document"


def test_a_raised_error_leaves_in_the_spec_envelope(demo_client: TestClient) -> None:
    reply = demo_client.get("/ping", headers={"X-Demo": "raise", "X-Request-ID": "req-demo-2"})
    assert reply.status_code == 403
    body = reply.json()
    # x-specway-errors: {style: flat}
    assert body["error"] == "Refused by the demo plugin"
    assert body["code"] == "demo_refused"
    assert body["details"] == {"ip": "198.51.100.7"}
    assert body["request_id"] == "req-demo-2"


def test_send_error_answers_from_an_outer_wrapper(demo_client: TestClient) -> None:
    reply = demo_client.get("/closed", headers={"X-Request-ID": "req-demo-3"})
    assert reply.status_code == 403
    assert reply.headers["x-door"] == "1"
    assert reply.headers["x-request-id"] == "req-demo-3"
    body = reply.json()
    assert (body["error"], body["code"], body["request_id"]) == (
        "The door is closed",
        "forbidden",
        "req-demo-3",
    )


def test_the_plugin_counter_is_on_metrics(demo_client: TestClient) -> None:
    demo_client.get("/ping")
    metrics = demo_client.get("/metrics").text
    line = next(
        x
        for x in metrics.splitlines()
        if x.startswith('demo_plugin_requests_total{operation="ping"')
    )
    assert float(line.rsplit(" ", 1)[1]) >= 1


def test_the_problem_style_too(
    site: SitePackages, tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    site.add("demo", DEMO)
    app = create_app(
        spec(tmp_path, "problem"),
        settings_factory(),
        handlers={"ping": lambda: {}, "pong": lambda: {}},
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        reply = client.get("/closed")
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["status"] == 403
    assert reply.json()["detail"] == "The door is closed"


def test_counter_returns_the_same_metric_and_refuses_a_clash() -> None:
    first = api.counter("demo_api_clash", "A counter.", ["a"])
    assert api.counter("demo_api_clash", "A counter.", ["a"]) is first
    with pytest.raises(ConfigError, match="already exists as a Counter"):
        api.counter("demo_api_clash", "A counter.", ["b"])
    with pytest.raises(ConfigError):
        api.histogram("demo_api_clash", "A histogram.", ["a"])
    # A name specway's own metrics use is refused the same way.
    with pytest.raises(ConfigError, match="specway_http_requests"):
        api.counter("specway_http_requests", "Mine.", ["operation", "method", "status"])


def test_everything_in_all_exists_and_nothing_is_connexion() -> None:
    assert len(api.__all__) == len(set(api.__all__))
    for name in api.__all__:
        value = getattr(api, name)
        assert not getattr(value, "__module__", "").startswith("connexion"), name


def test_the_demo_imports_only_the_public_module() -> None:
    tree = ast.parse(DEMO)
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported == {"typing", "specway.plugins.api"}
