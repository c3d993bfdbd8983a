"""Fixtures of the reliability scenarios: a private PostgreSQL cluster, Redis, the report."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from fault_components import ROOT, SECRET_KEY, PostgresCluster, RedisServer
from fault_harness import REPORT_PATH, Report, SecretLedger

# The webhooks tests' receiver, fake clock and worker environment are reused by the scenarios.
sys.path.insert(0, str(ROOT / "tests" / "plugins" / "webhooks"))
from webhooks_support import Receiver


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.reliability)
    # The secrets scan searches what every other scenario captured: it runs last.
    items.sort(key=lambda item: Path(str(item.fspath)).name.startswith("test_06_secrets"))


@pytest.fixture(scope="session")
def report() -> Iterator[Report]:
    """One row per scenario; written to ``SPECWAY_RELIABILITY_REPORT`` (if set) at the end."""
    path = Path(REPORT_PATH) if REPORT_PATH else None
    found = Report(path if path is None or path.is_absolute() else ROOT / path)
    yield found
    if found.path is not None and found.rows:
        found.write(found.path)


@pytest.fixture(scope="session")
def ledger() -> SecretLedger:
    """The secrets every scenario used and the texts they captured (scanned last)."""
    found = SecretLedger()
    found.add(SECRET_KEY)
    return found


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """A private PostgreSQL cluster the scenarios may stop and start (shared by the session)."""
    try:
        cluster = PostgresCluster()
        cluster.init()
        cluster.start()
    except (FileNotFoundError, subprocess.SubprocessError, LookupError, PermissionError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        pytest.skip(f"cannot start a private PostgreSQL cluster: {exc} {detail[-300:]!r}")
    yield cluster
    cluster.destroy()


@pytest.fixture
def pg_database(pg_cluster: PostgresCluster) -> str:
    """A fresh database on the private cluster (the cluster is started again if a test left it
    stopped)."""
    if not pg_cluster.running():
        pg_cluster.start()
    return pg_cluster.create_database(f"rel_{secrets.token_hex(5)}")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private ``redis-server`` on a free port, killed afterwards."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A webhook receiver recording every delivery (``webhooks_support.Receiver``)."""
    # A burst of concurrent deliveries overflows the default listen backlog of 5: the kernel
    # drops SYNs and the sender's connects stall on retransmits for seconds.
    monkeypatch.setattr(ThreadingHTTPServer, "request_queue_size", 256)
    found = Receiver()
    found.start()
    yield found
    if found.hold is not None:
        found.hold.set()
    found.stop()
