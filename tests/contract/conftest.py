"""A live ``specway serve`` (uvicorn, real SQLite) for the contract tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    spec: Path, workdir: Path, env_extra: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``specway serve`` on a free port; return the process and its base URL once healthy."""
    port = free_port()
    env = {
        **os.environ,
        "SPECWAY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'contract.db'}",
        "SPECWAY_SECRET_KEY": "contract-test-secret-key-0123456789",
        "SPECWAY_WEBHOOK_WORKER": "false",
        **(env_extra or {}),
    }
    log = (workdir / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "specway", "serve", "--spec", str(spec), "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((workdir / "server.log").read_text(errors="replace"))
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not become healthy in 30 s")


@contextmanager
def serving(
    workdir: Path, env_extra: dict[str, str] | None = None, spec: Path | None = None
) -> Iterator[str]:
    """``specway serve`` of ``spec`` (the reference API) in ``workdir`` while the block runs;
    its base URL. Afterwards the server is stopped and its log must hold no traceback."""
    proc, base = start_server(spec or ROOT / "openapi.yaml", workdir, env_extra)
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log = (workdir / "server.log").read_text(errors="replace")
        assert "Traceback" not in log, log[-4000:]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("contract")) as base:
        yield base
