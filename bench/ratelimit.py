"""Benchmark: what the rate limiter costs on ``GET /v1/projects/{id}``.

Runs the reference API under ``specway serve`` (one uvicorn worker, pinned to one core) with the
limiter off and on (two policies, Redis), alternating the cases, each at least twice, and drives
it with ``wrk`` pinned to another core. A private ``redis-server`` (on the load generator's core)
serves the limiter, so ``INFO commandstats`` counts this benchmark's commands only.

Until the auth plugin lands the calls are anonymous: the limiter applies the anonymous policies,
keyed by client IP (limits raised so that every request is admitted and the measured path is the
admitting one).

    .venv/bin/python bench/ratelimit.py [--duration 10] [--rounds 2] [--connections 32]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import redis
import yaml

ROOT = Path(__file__).resolve().parent.parent
# Run as a script (``python bench/<name>.py``): the repository root holds the bench package.
sys.path.insert(0, str(ROOT))
from bench.variant import write_reference_variant  # noqa: E402

SERVER_CPU = "0"
LOAD_CPU = "1"
UNLIMITED = 1_000_000_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: S110 - not up yet
            pass
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


def write_spec(workdir: Path, limiter: bool) -> Path:
    """The reference spec with the limiter plugin on or off (on: two huge anonymous policies)."""
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    plugins = [p for p in document["x-specway-plugins"] if p != "ratelimit"]
    if limiter:
        plugins.append("ratelimit")
        document["x-specway-ratelimit"]["anonymous"] = {"burst": UNLIMITED, "hourly": UNLIMITED}
    document["x-specway-plugins"] = plugins
    return write_reference_variant(document, workdir / f"openapi-{'on' if limiter else 'off'}.yaml")


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    project_path: str

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_server(workdir: Path, spec: Path, redis_url: str, name: str) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "SPECWAY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / (name + '.db')}",
        "SPECWAY_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "SPECWAY_REDIS_URL": redis_url if name != "memory" else "",
        "SPECWAY_WEBHOOK_WORKER": "false",
        "SPECWAY_ACCESS_LOG": "false",
    }
    command = [
        "taskset", "-c", SERVER_CPU, sys.executable, "-m", "specway", "serve",
        "--spec", str(spec), "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    log = (workdir / f"{name}.log").open("wb")
    proc = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: httpx.get(base + "/health", timeout=1).status_code == 200, name)
    created = httpx.post(base + "/v1/projects", json={"name": "bench"}, timeout=5)
    created.raise_for_status()
    return Server(proc, base, f"/v1/projects/{created.json()['id']}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(url: str, duration: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{connections}", f"-d{duration}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    latency = re.search(r"Latency\s+([\d.]+\w+)", out)
    return {
        "rps": rps,
        "requests": total,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "latency_avg": latency.group(1) if latency else "?",  # type: ignore[dict-item]
    }


HOURLY_KEY = "specway:rl:{ip:127.0.0.1}:hourly"


def limited_requests(client: redis.Redis) -> tuple[int, int]:
    """(window, count) of the anonymous hourly quota: how many requests the limiter admitted."""
    window, count = client.hmget(HOURLY_KEY, "w", "c")
    return int(window or 0), int(count or 0)


def settle(client: redis.Redis) -> None:
    """Wait until requests still in flight when wrk stopped have reached the limiter."""
    last = -1
    while True:
        time.sleep(0.3)
        now = command_stats(client).get("evalsha", 0)
        if now == last:
            return
        last = now


def command_stats(client: redis.Redis) -> dict[str, int]:
    stats = client.info("commandstats")
    return {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per case (alternating)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server")
    parser.add_argument(
        "--memory", action="store_true", help="also run the limiter on its memory backend"
    )
    args = parser.parse_args()
    for tool in ("wrk", "taskset", "redis-server"):
        if shutil.which(tool) is None:
            sys.exit(f"bench: {tool} is not installed (apt-get install -y {tool})")

    workdir = Path(tempfile.mkdtemp(prefix="specway-bench-"))
    redis_port = free_port()
    redis_proc = subprocess.Popen(
        ["taskset", "-c", LOAD_CPU, "redis-server", "--port", str(redis_port), "--save", "",
         "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    admin = redis.Redis(port=redis_port)
    wait_for(admin.ping, "redis-server")
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    servers: dict[str, Server] = {}
    cases = ("off", "on", "memory") if args.memory else ("off", "on")
    results: dict[str, list[dict[str, Any]]] = {case: [] for case in cases}
    try:
        for case in cases:
            spec = write_spec(workdir, case != "off")
            servers[case] = start_server(workdir, spec, redis_url, case)
            run_wrk(servers[case].base + servers[case].project_path, args.warmup, args.connections)
        for round_ in range(args.rounds):
            for case in cases if round_ % 2 == 0 else tuple(reversed(cases)):
                server = servers[case]
                settle(admin)
                admin.config_resetstat()
                window, before = limited_requests(admin)
                cpu_before = cpu_seconds(server.proc.pid)
                run = run_wrk(server.base + server.project_path, args.duration, args.connections)
                settle(admin)
                cpu = cpu_seconds(server.proc.pid) - cpu_before
                calls = command_stats(admin)
                calls.pop("config|resetstat", None)
                calls.pop("hmget", None)  # ours, reading the quota below (twice)
                window_after, after = limited_requests(admin)
                # Requests the server handled (wrk's count misses those in flight at the end).
                handled = after - before if case == "on" and window == window_after else 0
                per = handled or run["requests"]
                run["limited_requests"] = handled
                run["evalsha_per_request"] = calls.get("evalsha", 0) / per
                client_side = {k: v for k, v in calls.items() if k in CLIENT_COMMANDS}
                run["client_commands_per_request"] = sum(client_side.values()) / per
                run["all_commands_per_request"] = sum(calls.values()) / per
                run["load_average_1m"] = round(os.getloadavg()[0], 2)
                # CPU the server spent per request: robust to other load on a shared machine.
                run["server_cpu_us_per_request"] = round(1e6 * cpu / per, 1)
                results[case].append(run)
                print(
                    f"round {round_ + 1} limiter {case:6}: {run['rps']:8.0f} req/s  "
                    f"server CPU {run['server_cpu_us_per_request']:6.0f} us/request  "
                    f"latency {run['latency_avg']:>8}  non-2xx {run['non_2xx']}  "
                    f"redis round trips/request {run['client_commands_per_request']:.3f} "
                    f"(evalsha {run['evalsha_per_request']:.3f}, incl. inside the script "
                    f"{run['all_commands_per_request']:.2f})  load {run['load_average_1m']}",
                    flush=True,
                )
    finally:
        for server in servers.values():
            server.stop()
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
    cpu_off = statistics.median(r["server_cpu_us_per_request"] for r in results["off"])
    cpu_on = statistics.median(r["server_cpu_us_per_request"] for r in results["on"])
    off = statistics.median(r["rps"] for r in results["off"])
    on = statistics.median(r["rps"] for r in results["on"])
    summary = {
        "endpoint": "GET /v1/projects/{id}",
        "median_rps_off": round(off),
        "median_rps_on": round(on),
        "limiter_cost_percent": round(100 * (off - on) / off, 1),
        "median_server_cpu_us_per_request_off": cpu_off,
        "median_server_cpu_us_per_request_on": cpu_on,
        # When the server is CPU-bound, throughput is 1 / CPU per request.
        "limiter_cost_percent_by_cpu": round(100 * (1 - cpu_off / cpu_on), 1),
        "median_rps_memory_backend": round(statistics.median(r["rps"] for r in results["memory"]))
        if args.memory
        else None,
        "redis_round_trips_per_request": round(
            statistics.median(r["client_commands_per_request"] for r in results["on"]), 3
        ),
        "runs": results,
    }
    print(json.dumps(summary, indent=2))
    return 0


# Commands a client sends; the others in commandstats ran inside the Lua script.
CLIENT_COMMANDS = frozenset({"evalsha", "eval", "script|load", "ping", "client|setinfo"})

if __name__ == "__main__":
    sys.exit(main())
