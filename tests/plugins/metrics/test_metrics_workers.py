"""``specway serve --workers 2``: every scrape sums all workers; one JSON access line each."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "specway serve exited early"
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not become ready")


def _index_count(base: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "specway_http_requests_total" and sample.labels == {
                "operation": "getApiIndex",
                "method": "GET",
                "status": "200",
            }:
                return sample.value
    return 0.0


def _worker_pids(directory: Path) -> set[str]:
    return {path.stem.rsplit("_", 1)[-1] for path in directory.glob("counter_*.db")}


def test_two_workers_share_metrics_and_log_each_request(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    prom_dir = tmp_path / "prom"
    stale = prom_dir / "counter_999999.db"
    prom_dir.mkdir()
    stale.write_bytes(b"stale")
    env = {
        **os.environ,
        "SPECWAY_SPEC_PATH": str(ROOT / "openapi.yaml"),
        "SPECWAY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "SPECWAY_SECRET_KEY": "workers-test-secret-key-0123456789",
        "PROMETHEUS_MULTIPROC_DIR": str(prom_dir),
    }
    env.pop("SPECWAY_REDIS_URL", None)
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("wb") as stderr:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "specway",
                "serve",
                "--workers",
                "2",
                "--allow-per-process-state",  # metrics need no Redis; limits are per worker
                "--port",
                str(port),
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            _wait_ready(base, proc)
            assert not stale.exists()
            sent = ok = 0
            with ThreadPoolExecutor(max_workers=16) as pool:
                # Spread requests until both workers have served some (new connection each).
                for _ in range(20):
                    statuses = list(
                        pool.map(
                            lambda i: (
                                httpx.get(
                                    f"{base}/v1", params={"token": f"qs-SECRET-{i}"}, timeout=10
                                ).status_code
                            ),
                            range(32),
                        )
                    )
                    # Anonymous calls meet the per-IP limit of each worker's memory limiter.
                    assert set(statuses) <= {200, 429}
                    sent += 32
                    ok += statuses.count(200)
                    if len(_worker_pids(prom_dir)) >= 2:
                        break
            assert len(_worker_pids(prom_dir)) >= 2, "only one worker served requests"
            # Whichever worker answers the scrape, it reports every worker's requests.
            assert [_index_count(base) for _ in range(8)] == [float(ok)] * 8
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)

    lines = [
        json.loads(line) for line in stderr_path.read_text().splitlines() if line.startswith("{")
    ]
    access = [line for line in lines if line["logger"] == "specway.access"]
    index = [line for line in access if line.get("operation_id") == "getApiIndex"]
    assert len(index) == sent
    entry = index[0]
    assert entry["path"] == "/v1"
    assert entry["status"] == 200
    assert entry["method"] == "GET"
    assert entry["request_id"].startswith("req_")
    assert entry["client_ip"] == "127.0.0.1"
    assert isinstance(entry["duration_ms"], float | int)
    assert "principal_id" in entry
    assert "SECRET" not in stderr_path.read_text()
