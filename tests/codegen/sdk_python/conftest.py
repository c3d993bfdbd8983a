"""Fixtures of the Python SDK tests: the generated package importable, a live server, a key.

``make test`` installs ``sdk/python`` into the venv (``pip install -e``); adding it to
``sys.path`` here as well lets the tests run from a fresh checkout without that step.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SDK = ROOT / "sdk" / "python"
if str(SDK) not in sys.path:
    sys.path.insert(0, str(SDK))

from tests.contract.conftest import serving  # noqa: E402
from tests.plugins.webhooks.webhooks_support import Receiver  # noqa: E402

SERVER_ENV = {
    "SPECWAY_WEBHOOK_WORKER": "true",
    "SPECWAY_WEBHOOK_ALLOW_HTTP": "true",
    "SPECWAY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
}


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    api_key: str


def mint_key(workdir: Path) -> str:
    """An API key with every scope, minted by ``specway keys generate`` on the server's db."""
    env = {
        **os.environ,
        "SPECWAY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'contract.db'}",
        "SPECWAY_SECRET_KEY": "contract-test-secret-key-0123456789",
    }
    scopes = [arg for scope in ("read", "write", "delete", "admin") for arg in ("--scope", scope)]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "specway",
            "keys",
            "generate",
            "--name",
            "sdk",
            *scopes,
            "--spec",
            str(ROOT / "openapi.yaml"),
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip().splitlines()[0]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("sdk-live")
    with serving(workdir, SERVER_ENV) as base:
        yield LiveServer(base, mint_key(workdir))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hooks = Receiver()
    hooks.start()
    try:
        yield hooks
    finally:
        hooks.stop()
