"""Helpers of the webhooks tests: a real receiver, a fake clock, a test principal, an env."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from connexion.security import BearerSecurityHandler

from specway.builder import AppBuilder
from specway.plugins.webhooks import EventCatalogue, WebhookService, WebhookWorker
from specway.plugins.webhooks.outbox import attach
from specway.plugins.webhooks.schedule import RetrySchedule
from specway.principal import Principal
from specway.settings import Settings
from specway.spec import SpecModel
from specway.storage.database import Database

ROOT = Path(__file__).resolve().parents[3]
REFERENCE_SPEC = ROOT / "openapi.yaml"


# --- a receiver: a real HTTP server on 127.0.0.1 ---------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"


class Receiver:
    """Records every POST; answers from a script of replies (then ``default``)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: list[Reply] = []
        self.default = Reply()
        self.hold: threading.Event | None = None  # set: requests block until released
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._changed:
                    receiver.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    reply = receiver.script.pop(0) if receiver.script else receiver.default
                    hold = receiver.hold
                    receiver._changed.notify_all()
                if hold is not None:
                    hold.wait(30)
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up (timeout) or was killed

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until ``count`` requests arrived (or fail after ``timeout``)."""
        with self._changed:
            arrived = self._changed.wait_for(lambda: len(self.requests) >= count, timeout)
        assert arrived, f"receiver got {len(self.requests)} of {count} requests"
        return list(self.requests)


# --- a clock the tests move ------------------------------------------------------------------


class FakeClock:
    """Starts at the real time (whole seconds), so signatures verify until it is moved."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    def set(self, when: datetime) -> None:
        self.now = when


# --- a service + worker on a migrated database -------------------------------------------------


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": "test-secret-key-0123456789abcdef",
        "spec_path": str(REFERENCE_SPEC),
        "webhook_allowed_networks": ("127.0.0.1/32",),
        "webhook_allow_http": True,
        "webhook_worker": False,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class WebhookEnv:
    database: Database
    service: WebhookService
    clock: FakeClock
    workers: list[WebhookWorker] = field(default_factory=list)

    def worker(self, database: Database | None = None, **options: Any) -> WebhookWorker:
        found = WebhookWorker(database or self.database, self.service, **options)
        self.workers.append(found)
        return found


@asynccontextmanager
async def webhook_env(
    database_url: str, model: SpecModel, **settings: Any
) -> AsyncIterator[WebhookEnv]:
    """A migrated database, a service on a fake clock (seeded jitter), closed afterwards."""
    clock = FakeClock()
    config = make_settings(database_url, **settings)
    service = WebhookService(
        EventCatalogue(model),
        config,
        clock=clock,
        schedule=RetrySchedule(rng=random.Random(7)),
    )
    database = Database(database_url)
    attach(database, service)
    await database.migrate()
    env = WebhookEnv(database, service, clock)
    try:
        yield env
    finally:
        for worker in env.workers:
            await worker.sender.aclose()
        await database.dispose()


# --- a test principal: "Authorization: Bearer test:<org>" --------------------------------------


def bearer_info(token: str) -> dict[str, Any] | None:
    if not token.startswith("test"):
        return None
    org = token.partition(":")[2] or None
    principal = Principal(
        kind="api_key",
        id=f"key_{org or 'none'}",
        organization_id=org,
        scopes=frozenset({"read", "write", "delete"}),
    )
    return {"sub": principal.id, "principal": principal}


class _StubBearer(BearerSecurityHandler):  # type: ignore[misc]
    def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[..., Any]:
        return bearer_info


class PrincipalStubPlugin:
    """Test-only stand-in for the auth plugin: bearer ``test:<org>`` → that organisation."""

    name = "test_principal"

    def __init__(self, config: Any, spec_model: SpecModel, settings: Settings) -> None:
        pass

    def install(self, builder: AppBuilder) -> None:
        builder.security_map["bearer"] = _StubBearer


def auth(org: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer test:{org or ''}"}
