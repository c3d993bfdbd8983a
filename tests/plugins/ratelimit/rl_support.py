"""Helpers of the rate-limit tests: a fake clock, polling, a private ``redis-server`` and live
``specway serve`` processes (the fixtures around them are in ``conftest.py``)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from specway.plugins.ratelimit.backends.memory import MemoryBackend
from specway.plugins.ratelimit.backends.redis import RedisBackend

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SCENARIOS = ROOT / "tests" / "fixtures" / "ratelimit" / "openapi.yaml"
REDIS_URL = os.environ.get("SPECWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass
class FakeClock:
    """Seconds since the epoch that only move when a test says so."""

    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Poll ``predicate`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what or predicate}")


class PrivateRedis:
    """A ``redis-server`` of one test, on a free port: started, killed, frozen and restarted."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, what="private redis-server to answer")

    def answers(self) -> bool:
        client = redis.Redis(port=self.port, socket_timeout=0.2, socket_connect_timeout=0.2)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def freeze(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)


class LiveServer:
    """A ``specway serve`` process of the scenario spec, optionally with a skewed clock."""

    def __init__(self, workdir: Path, env: dict[str, str], skew: float = 0.0) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"server-{self.port}.log"
        full_env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)]),
            "SPECWAY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / f'db-{self.port}.db'}",
            "SPECWAY_SECRET_KEY": "ratelimit-test-secret-key-0123456789",
            "SPECWAY_WEBHOOK_WORKER": "false",
            **env,
        }
        command = [
            sys.executable,
            str(HERE / "skewed_serve.py"),
            str(skew),
            "serve",
            "--spec",
            str(SCENARIOS),
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        self.proc = subprocess.Popen(
            command,
            cwd=workdir,
            env=full_env,
            stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(self.log_path.read_text(errors="replace"))
        try:
            return httpx.get(self.base + "/free", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> str:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return self.log_path.read_text(errors="replace")


@dataclass
class BackendCase:
    """One backend under test, with what a test needs to know about it."""

    kind: str
    clock: FakeClock | None  # the memory backend's injected clock; None for Redis
    settings: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)

    def backend(self) -> MemoryBackend | RedisBackend:
        if self.kind == "memory":
            assert self.clock is not None
            return MemoryBackend(clock=self.clock)
        return RedisBackend(REDIS_URL, socket_timeout=0.5)
