"""Helpers of the TypeScript SDK tests: paths and a subprocess runner that fails loudly."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SDK = ROOT / "sdk" / "typescript"
TOOLS = ROOT / "tools" / "ts"
HERE = Path(__file__).resolve().parent


def run(
    cmd: list[str], cwd: Path | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` and fail the test with its output when it exits non-zero."""
    proc = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc
