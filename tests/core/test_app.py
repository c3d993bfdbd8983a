from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from specway.app import create_app
from specway.errors import ConfigError
from specway.settings import Settings
from tests.conftest import write_variant

ROOT = Path(__file__).resolve().parents[2]


def _spec_with(tmp_path: Path, mutate: Callable[[dict[str, object]], None]) -> Path:
    doc = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    mutate(doc)
    return write_variant(doc, tmp_path)


def test_missing_handlers_are_all_named(
    tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    def rename(doc: dict[str, object]) -> None:
        paths = doc["paths"]
        assert isinstance(paths, dict)
        paths["/v1/projects"]["get"]["operationId"] = "listEverything"
        paths["/v1/projects"]["post"]["tags"] = ["Nowhere"]

    with pytest.raises(ConfigError) as info:
        create_app(_spec_with(tmp_path, rename), settings_factory())
    text = str(info.value)
    assert (
        "operationId 'listEverything': no function 'list_everything' in module 'handlers.projects'"
        in text
    )
    assert "operationId 'createProject': no module 'handlers.nowhere'" in text


def test_invalid_spec_names_file_and_pointer(
    tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    path = _spec_with(tmp_path, lambda doc: doc.update({"x-specway-eror": {}}))
    with pytest.raises(ConfigError) as info:
        create_app(path, settings_factory())
    assert f"{path}#/x-specway-eror" in str(info.value)
    assert "x-specway-errors" in str(info.value)


def test_settings_from_env_parses_and_rejects() -> None:
    settings = Settings.from_env(
        {
            "SPECWAY_MAX_BODY_SIZE": "2048",
            "SPECWAY_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1/32",
            "SPECWAY_WEBHOOK_ALLOW_HTTP": "yes",
            "SPECWAY_REDIS_URL": "",
        }
    )
    assert settings.max_body_size == 2048
    assert settings.trusted_proxies == ("10.0.0.0/8", "127.0.0.1/32")
    assert settings.webhook_allow_http is True
    assert settings.redis_url is None
    with pytest.raises(ConfigError, match="SPECWAY_MAX_BODY_SIZE"):
        Settings.from_env({"SPECWAY_MAX_BODY_SIZE": "lots"})


def test_production_requires_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SPECWAY_SECRET_KEY"):
        Settings(environment="production").resolved_secret_key()
    dev = Settings(secret_key_file=str(tmp_path / "key"))
    key = dev.resolved_secret_key()
    assert len(key) >= 32
    assert dev.resolved_secret_key() == key  # the generated file is reused


def test_serve_with_unreachable_database_exits_with_one_line(tmp_path: Path) -> None:
    env = {
        "SPECWAY_DATABASE_URL": "postgresql+asyncpg://postgres:pw@127.0.0.1:1/none",
        "PATH": "/usr/bin:/bin",
        "SPECWAY_DB_TIMEOUT": "2",
    }
    result = subprocess.run(
        [sys.executable, "-m", "specway", "serve", "--spec", str(ROOT / "openapi.yaml")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[-1]]
    assert lines[-1].startswith(
        "specway: database unreachable at postgresql+asyncpg://postgres:***@127.0.0.1:1/none"
    )
    assert "pw@" not in result.stderr


@asynccontextmanager
async def running(app: Any) -> AsyncIterator[None]:
    """Drive the ASGI lifespan protocol around a block (startup, then shutdown)."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    task = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put)
    )
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    assert started["type"] == "lifespan.startup.complete", started
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task


class _Proxy:
    """A TCP proxy to PostgreSQL that the test can cut and restore (a database outage)."""

    def __init__(self) -> None:
        self.server: asyncio.base_events.Server | None = None
        self.port = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", 5432)
        self.writers += [writer, up_writer]
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        self.writers.clear()
        await self.server.wait_closed()


@pytest.mark.postgres
def test_database_outage_gives_503_and_recovers(
    postgres_url: str, settings_factory: Callable[..., Settings]
) -> None:
    proxy = _Proxy()

    async def scenario() -> list[int]:
        import httpx

        await proxy.start()
        url = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        app = create_app(ROOT / "openapi.yaml", settings_factory(database_url=url, db_timeout=1.0))
        statuses: list[int] = []
        transport = httpx.ASGITransport(app=app)
        async with (
            running(app),
            httpx.AsyncClient(transport=transport, base_url="http://t") as client,
        ):
            token = (
                await client.post(
                    "/v1/auth/register",
                    json={"email": "outage@example.com", "password": "correct-horse-battery"},
                )
            ).json()["token"]
            client.headers["Authorization"] = f"Token {token}"
            statuses.append((await client.post("/v1/projects", json={"name": "a"})).status_code)
            await proxy.cut()
            down = await client.get("/v1/projects")
            statuses.append(down.status_code)
            assert down.json()["error"]["code"] == "service_unavailable"
            statuses.append((await client.get("/health")).status_code)
            await proxy.start()
            statuses.append((await client.get("/v1/projects")).status_code)
            statuses.append((await client.get("/health")).status_code)
        return statuses

    assert asyncio.run(scenario()) == [201, 503, 503, 200, 200]
