"""Revocation reaches every process within a second (Redis), or at once in one process."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from specway.app import load_spec
from specway.plugins.auth.backends.redis import RedisRevocationBackend
from specway.plugins.auth.cache import ResolvedCredential
from specway.plugins.auth.runtime import AuthRuntime
from specway.principal import Principal
from specway.settings import Settings
from specway.storage.database import Database
from tests.conftest import REDIS_URL, REFERENCE_SPEC, ROOT

PRINCIPAL = Principal(kind="api_key", id="key_x", organization_id="org_x")


def _runtime(settings: Settings, key: str) -> AuthRuntime:
    return AuthRuntime(
        load_spec(REFERENCE_SPEC),
        settings,
        Database(settings.database_url),
        backend=RedisRevocationBackend(REDIS_URL, key=key),
    )


@pytest.mark.redis
def test_invalidate_in_one_runtime_clears_another_within_a_second(
    settings_factory: Callable[..., Settings],
) -> None:
    key = f"specway:test:revocation:{secrets.token_hex(6)}"

    async def scenario() -> float:
        a, b = _runtime(settings_factory(), key), _runtime(settings_factory(), key)
        await a.start()
        await b.start()
        try:
            b.cache.put(ResolvedCredential("digest", PRINCIPAL, stored_at=time.monotonic()), 0)
            assert len(b.cache) == 1
            started = time.monotonic()
            await a.invalidate()
            while len(b.cache) and time.monotonic() - started < 2:
                await asyncio.sleep(0.01)
            return time.monotonic() - started
        finally:
            await a.stop()
            await b.stop()
            await a.backend.bump()  # leave nothing cached anywhere else either

    assert asyncio.run(scenario()) < 1.0


def test_unreachable_revocation_backend_means_no_cache(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory()

    async def scenario() -> bool:
        runtime = AuthRuntime(
            load_spec(REFERENCE_SPEC),
            settings,
            Database(settings.database_url),
            backend=RedisRevocationBackend("redis://127.0.0.1:1/0", socket_timeout=0.05),
        )
        await runtime.start()
        try:
            return runtime.authenticator.cache_trusted
        finally:
            await runtime.stop()

    assert asyncio.run(scenario()) is False


def _wait_healthy(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError("server did not become healthy")


@pytest.fixture
def two_gateways(
    postgres_url: str, free_tcp_port_factory: Callable[[], int], tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """Two uvicorn processes on one PostgreSQL database and one Redis."""
    env = {
        **os.environ,
        "SPECWAY_DATABASE_URL": postgres_url,
        "SPECWAY_REDIS_URL": REDIS_URL,
        "SPECWAY_SECRET_KEY": "test-secret-key-0123456789abcdef",
        "SPECWAY_SPEC_PATH": str(REFERENCE_SPEC),
        "SPECWAY_AUTH_SCRYPT_LOG_N": "10",
    }
    procs: list[subprocess.Popen[bytes]] = []
    bases = []
    try:
        for _ in range(2):  # one after the other: the first one migrates
            port = free_tcp_port_factory()
            log = (tmp_path / f"gateway-{port}.log").open("wb")
            proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "specway.asgi:build", "--factory",
                 "--port", str(port), "--log-level", "info"],
                env=env, cwd=ROOT, stdout=log, stderr=log,
            )  # fmt: skip
            procs.append(proc)
            base = f"http://127.0.0.1:{port}"
            _wait_healthy(base, proc)
            bases.append(base)
        yield bases[0], bases[1]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.slow
def test_key_revoked_in_one_process_is_refused_by_another_within_a_second(
    two_gateways: tuple[str, str],
) -> None:
    a, b = two_gateways
    with httpx.Client(timeout=5) as http:
        user = http.post(
            f"{a}/v1/auth/register",
            json={"email": f"x-{secrets.token_hex(4)}@example.com", "password": "correct-horse-1"},
        ).json()
        key = http.post(
            f"{a}/v1/api-keys",
            json={"name": "k", "scopes": ["read", "delete"]},
            headers={"Authorization": f"Token {user['token']}"},
        ).json()
        auth = {"Authorization": f"Bearer {key['key']}"}
        # Process B has the key cached (first call loads it, second is served from cache).
        assert http.get(f"{b}/v1/projects", headers=auth).status_code == 200
        assert http.get(f"{b}/v1/projects", headers=auth).status_code == 200
        assert http.delete(f"{a}/v1/api-keys/{key['id']}", headers=auth).status_code == 204
        revoked_at = time.monotonic()
        status = 200
        while status == 200 and time.monotonic() - revoked_at < 3:
            # Paced: polling flat out would spend the key's burst (100 a minute) before the
            # revocation lands and read a 429 instead.
            time.sleep(0.02)
            status = http.get(f"{b}/v1/projects", headers=auth).status_code
        elapsed = time.monotonic() - revoked_at
        assert status == 401
        assert elapsed < 1.0, f"process B accepted the revoked key for {elapsed:.2f}s"
        # Logout propagates the same way.
        token = {"Authorization": f"Token {user['token']}"}
        assert http.get(f"{b}/v1/auth/profile", headers=token).status_code == 200
        assert http.post(f"{a}/v1/auth/logout", headers=token).status_code == 200
        logged_out_at = time.monotonic()
        status = 200
        while status == 200 and time.monotonic() - logged_out_at < 3:
            time.sleep(0.02)
            status = http.get(f"{b}/v1/auth/profile", headers=token).status_code
        assert status == 401
        assert time.monotonic() - logged_out_at < 1.0
