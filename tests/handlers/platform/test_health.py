"""Health under a stopped dependency (a private redis-server), and the API index."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from starlette.testclient import TestClient

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A redis-server of this test alone, on a free port; killed at the end if still up."""
    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            if redis.Redis.from_url(url, socket_timeout=0.2).ping():
                break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise
            time.sleep(0.02)
    try:
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def test_health_reports_redis_and_503_when_it_stops(
    platform_app: Callable[..., TestClient],
    private_redis: tuple[subprocess.Popen[bytes], str],
) -> None:
    proc, url = private_redis
    client = platform_app(redis_url=url)
    healthy = client.get("/health", headers={"Authorization": ""})
    assert healthy.status_code == 200, healthy.text
    checks = healthy.json()["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["redis"]["status"] == "ok"

    proc.kill()
    proc.wait(10)
    down = client.get("/health")
    assert down.status_code == 503
    error = down.json()["error"]
    assert error["code"] == "service_unavailable"
    assert "redis" in error["message"]
    assert error["details"]["checks"]["redis"] == {"status": "down"}
    assert error["details"]["checks"]["database"]["status"] == "ok"
    assert down.headers["retry-after"] == "5"


def test_health_without_redis_checks_the_database_only(
    platform_app: Callable[..., TestClient],
) -> None:
    body = platform_app().get("/health").json()
    assert set(body["checks"]) == {"database"}


def test_api_index_lists_groups_and_version(platform_app: Callable[..., TestClient]) -> None:
    index = platform_app().get("/v1", headers={"Authorization": ""})
    assert index.status_code == 200
    body = index.json()
    assert body["version"] == "1.0.0"
    groups = {g["name"]: g["endpoints"] for g in body["groups"]}
    assert {"Batch", "Configuration", "Deployments", "Monitoring", "System"} <= set(groups)
    assert {e["operation_id"] for e in groups["Deployments"]} == {
        "listDeployments",
        "createDeployment",
        "getDeployment",
        "rollbackDeployment",
    }
