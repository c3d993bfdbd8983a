"""Issue 29 item 8: several workers without Redis are refused at startup, not silently split.

``specway serve --workers 2`` with in-memory backends used to start without a word; then a
revoked key kept working in the other worker for about a minute, one ``Idempotency-Key`` created
two projects and every limit was multiplied by the worker count. Now it exits 2 before binding a
port, with one line naming ``SPECWAY_REDIS_URL``; ``--allow-per-process-state`` is the explicit
way through.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fault_components import ROOT, free_port, specway_env

from specway.cli.serve import check_shared_state
from specway.errors import ConfigError
from specway.settings import Settings


def serve(tmp_path: Path, *extra: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = specway_env(f"sqlite+aiosqlite:///{tmp_path / 'api.db'}", **settings)
    argv = [sys.executable, "-m", "specway", "serve", "--port", str(free_port()), *extra]
    return subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_two_workers_without_redis_refuse_to_start(tmp_path: Path) -> None:
    done = serve(tmp_path, "--workers", "2")
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr  # one clear line, no traceback
    assert "SPECWAY_REDIS_URL" in lines[0]
    assert "--allow-per-process-state" in lines[0]
    assert not (tmp_path / "api.db").exists(), "refused before touching the database"


def test_the_check_lets_one_worker_redis_or_an_explicit_opt_in_through() -> None:
    memory = Settings()
    with pytest.raises(ConfigError, match="SPECWAY_REDIS_URL"):
        check_shared_state(2, memory, allow=False)
    check_shared_state(1, memory, allow=False)
    check_shared_state(4, Settings(redis_url="redis://127.0.0.1:6379/0"), allow=False)
    check_shared_state(2, memory, allow=True)
