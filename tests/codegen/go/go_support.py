"""Helpers of the Go SDK tests: the ``go`` tool with a build cache that survives runs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SDK = ROOT / "sdk" / "go"
HERE = Path(__file__).resolve().parent
# Under the virtualenv (ignored by git) so repeated runs reuse compiled packages.
CACHE = ROOT / ".venv" / "go-cache"


def go_binary() -> str:
    """The ``go`` command, or a skip saying why the Go tests cannot run here."""
    path = shutil.which("go")
    if path is None:
        pytest.skip(
            "go is not installed: the Go SDK tests need Go >= 1.19 (apt-get install golang-go)"
        )
    return path


def go_env() -> dict[str, str]:
    return {
        **os.environ,
        "GOCACHE": str(CACHE),
        "GOPROXY": "off",
        "GO111MODULE": "on",
        "CGO_ENABLED": "0",
    }


def run(
    cmd: list[str], cwd: Path, timeout: float = 300, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` with the Go environment; unless ``check`` is off, fail the test with its
    output on a non-zero exit."""
    proc = subprocess.run(
        cmd, cwd=cwd, env=go_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc
