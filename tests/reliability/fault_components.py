"""Real components the reliability scenarios start and kill: Redis, PostgreSQL, gateways, workers.

Every component is a child process on a free port on 127.0.0.1 with its own log file, so a
scenario can SIGTERM/SIGKILL it, measure its RSS and open file descriptors from ``/proc``, and
search its logs afterwards (the secrets scenario reads every log file written here).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_SPEC = ROOT / "openapi.yaml"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
SECRET_KEY = "reliability-secret-key-0123456789abcdef"  # registered in the secrets ledger
LOG_FILES: list[Path] = []  # every component log written this session (for the secrets scan)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, what: str, every: float = 0.05) -> float:
    """Poll ``check`` until it is true; returns the seconds it took, fails after ``timeout``."""
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except Exception:  # noqa: S110 - not ready yet is an expected state while polling
            pass
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what} not ready within {timeout:.0f} s")
        time.sleep(every)


def proc_status(pid: int) -> dict[str, int]:
    """RSS / peak RSS (kB), threads and open file descriptors of a live process, from /proc."""
    found: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                found[key] = int(value.split()[0])
    found["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return found


@dataclass
class Child:
    """A child process in its own process group, logging to a file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        LOG_FILES.append(self.log_path)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv, env=self.env, stdout=log, stderr=log, cwd=ROOT, start_new_session=True
        )
        log.close()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: signal.Signals) -> None:
        if self.alive():
            assert self.proc is not None
            os.killpg(self.proc.pid, sig)

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it does not exit within ``timeout``."""
        if not self.alive():
            return
        self.signal(signal.SIGTERM)
        try:
            self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.wait(5)

    def status(self) -> dict[str, int]:
        return proc_status(self.pid)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is valid and free too."""
    while True:
        port = free_port()
        if port > 55535:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


class RedisServer:
    """A private ``redis-server`` (no persistence) on a free port."""

    def __init__(self, workdir: Path, *extra: str, port: int | None = None) -> None:
        self.port = free_port() if port is None else port
        self.workdir = workdir
        self.extra = list(extra)
        self.child = self._child()

    def _child(self) -> Child:
        argv = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir), *self.extra]
        return Child("redis", argv, dict(os.environ), self.workdir / f"redis-{self.port}.log")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.child = self._child()
        self.child.start()
        wait_until(self._ping, 10, "redis-server")

    def _ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def kill(self) -> None:
        self.child.signal(signal.SIGKILL)
        self.child.wait(5)

    def stop(self) -> None:
        self.child.stop(5)


class RedisClusterNodes:
    """Three ``redis-server --cluster-enabled yes`` masters joined by ``redis-cli --cluster
    create`` (no replicas): every slot covered, each master its own process and port."""

    def __init__(self, workdir: Path, masters: int = 3) -> None:
        options = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
        self.nodes: list[RedisServer] = []
        for n in range(masters):
            node_dir = workdir / f"cluster-{n}"
            node_dir.mkdir()
            self.nodes.append(RedisServer(node_dir, *options, port=free_cluster_port()))

    @property
    def url(self) -> str:
        """specway's cluster URL: one seed node, the client discovers the others."""
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def cli(self, *args: str, port: int | None = None) -> str:
        port = self.nodes[0].port if port is None else port
        argv = [REDIS_CLI, "-h", "127.0.0.1", "-p", str(port), *args]
        return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=60).stdout

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        self.cli("--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes")
        wait_until(self._ok, 30, "redis cluster state ok", every=0.1)

    def _ok(self) -> bool:
        infos = [self.cli("cluster", "info", port=node.port) for node in self.nodes]
        return all("cluster_state:ok" in info for info in infos)

    def keyslot(self, key: str) -> int:
        return int(self.cli("cluster", "keyslot", key).strip())

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path is None:
        raise FileNotFoundError(f"PostgreSQL binary {name!r} not found")
    return on_path


class PostgresCluster:
    """A private PostgreSQL cluster from ``initdb`` in a temporary directory (trust auth).

    PostgreSQL refuses to run as root, so under root the cluster belongs to the ``postgres``
    user and every server command runs through ``runuser``.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="specway-pg-"))
        self.data = self.dir / "data"
        self.log_path = self.dir / "server.log"
        self._as: list[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise FileNotFoundError("running as root and runuser is not available")
            self._as = [runuser, "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *argv: str, timeout: float = 60) -> None:
        subprocess.run(
            [*self._as, *argv], check=True, capture_output=True, timeout=timeout, cwd=self.dir
        )

    def init(self) -> None:
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")  # fmt: skip
        LOG_FILES.append(self.log_path)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.log_path), "-w", "-t", "30", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def create_database(self, name: str) -> str:
        """A new database; returns its SQLAlchemy asyncpg URL."""
        self._run(_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                  name)  # fmt: skip
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        if self.running():
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def specway_env(database_url: str, **settings: Any) -> dict[str, str]:
    """The environment of a gateway or worker process (``SPECWAY_*`` from ``settings``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPECWAY_")}
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": SECRET_KEY,
        "spec_path": str(REFERENCE_SPEC),
        "auth_scrypt_log_n": 10,
        "webhook_allowed_networks": "127.0.0.1/32",
        "webhook_allow_http": "true",
        "webhook_worker": "false",
        "db_timeout": 2.0,
    }
    values.update(settings)
    for key, value in values.items():
        if value is not None:
            env[f"SPECWAY_{key.upper()}"] = str(value)
    return env


@dataclass
class Gateway:
    """``python -m specway serve`` on a free port."""

    workdir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    graceful: int = 20
    child: Child | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        RUNNING[self.url] = self  # the operator's commands find its database by its URL
        argv = [sys.executable, "-m", "specway", "serve", "--port", str(self.port)]
        argv += ["--timeout-graceful-shutdown", str(self.graceful), "--log-level", "info"]
        self.child = Child("gateway", argv, self.env, self.workdir / f"gateway-{self.port}.log")
        self.child.start()
        wait_until(self._ready, timeout, f"gateway on port {self.port}", every=0.1)

    def _ready(self) -> bool:
        assert self.child is not None
        if not self.child.alive():
            raise RuntimeError(f"gateway exited:\n{self.child.log_text()[-3000:]}")
        return httpx.get(f"{self.url}/v1", timeout=1).status_code == 200


RUNNING: dict[str, Gateway] = {}


def operator(base_url: str, *args: str) -> str:
    """Run ``python -m specway <args>`` as the operator of the gateway at ``base_url`` (its
    environment: database, Redis, spec); its stdout."""
    gateway = RUNNING[base_url]
    done = subprocess.run(
        [sys.executable, "-m", "specway", *args],
        env=gateway.env,
        cwd=gateway.workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"specway {' '.join(args)}: {done.returncode} {done.stderr[-1000:]}")
    return done.stdout


@dataclass
class Worker:
    """``python -m specway webhooks worker``."""

    workdir: Path
    env: dict[str, str]
    name: str = "worker"
    child: Child | None = None

    def start(self, *extra: str) -> None:
        argv = [sys.executable, "-m", "specway", "webhooks", "worker", "--poll-interval", "0.1"]
        argv += list(extra)
        self.child = Child(self.name, argv, self.env, self.workdir / f"{self.name}.log")
        self.child.start()


def stop_all(*children: Child | None) -> None:
    for child in children:
        if child is not None:
            child.stop()
