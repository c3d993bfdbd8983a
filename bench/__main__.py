"""``python -m bench``: side-by-side throughput of the framework floor and specway.

Every server runs one uvicorn worker pinned to core 0; wrk runs pinned to core 1, and so does a
local redis-server for the duration (``--redis-core``): Redis is the gateway's backing store,
not part of it, and left free it also runs on the server's core. All servers
start first, then each round runs every case and endpoint, the order reversed on every other
round (A B C D, D C B A, ...), so drift on a noisy machine hits all cases alike. Results:
``bench/results/<date>.json`` and a Markdown table with medians and the ratios the issues ask
for (every case over (a), and (c)/(b), (d)/(b)), the server's CPU time per request and the
same ratios from it, Redis
commands per request (from Redis's own counters, during the rounds), SQL statements per request
(counted by a listener switched on only for short runs after the rounds, since it costs about
7 us a statement), and each specway server's RSS sampled while it serves ``--rss-requests``
(100k) more GETs.

``specway_postgres_w2`` is (d) with ``uvicorn --workers 2``: on this 2-core machine its workers
share core 0 (wrk has core 1), so it shows what a second process costs rather than scaling; on
a machine with more cores it gets core 0 and every core from 2 up. Its CPU per request is the
whole process tree's; it is recorded without a target, and without statement counts or a soak
(one worker's are (d)'s).

Data: the real-handler cases read one organisation holding 60 projects (GET the first,
list page 2); creates are made with a test-mode key of the same organisation, so they land in
its sandbox twin and the listed organisation stays at 60 projects in every round.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import redis

from bench.variant import write_reference_variant
from bench.wrk import WrkResult, run_wrk

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ENDPOINTS = {
    "get": ("GET", "/v1/projects/{id}"),
    "create": ("POST", "/v1/projects"),
    "list": ("GET", "/v1/projects?page=2"),
}


@dataclass
class Case:
    name: str
    factory: str
    env: dict[str, str]
    auth: bool = False
    # Real handlers: start() creates the 60 projects the cases read.
    seeded: bool = False
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # POST /v1/projects goes to the key's sandbox twin (a test-mode key), so the list endpoint
    # always reads the same 60 projects however many the create runs have added.
    create_headers: dict[str, str] = field(default_factory=dict)
    project_id: str = "proj_benchbenchbench01"
    query_file: Path | None = None
    workers: int = 1
    cores: str = "0"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [PY, "-m", "specway", *args], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout


def mint_key(env: dict[str, str], *, test: bool = False) -> str | None:
    """An API key for the benchmark (admin scopes, top tier) when the auth plugin exists.

    ``test``: a test-mode key, which acts in the sandbox twin of the organisation.
    """
    help_text = subprocess.run(
        [PY, "-m", "specway", "--help"], capture_output=True, text=True, check=False
    ).stdout
    if "keys" not in help_text:
        return None
    _cli(env, "db", "upgrade")
    out = _cli(
        env,
        "keys",
        "generate",
        "--name",
        "bench",
        "--scope",
        "read",
        "--scope",
        "write",
        "--scope",
        "delete",
        "--scope",
        "admin",
        "--plan",
        "enterprise",
        *(["--test"] if test else []),
    )
    return next(line.split()[-1] for line in out.splitlines() if line.startswith("sk_"))


def start(case: Case, workdir: Path) -> None:
    case.port = free_port()
    log = (workdir / f"{case.name}.log").open("wb")
    case.proc = subprocess.Popen(
        [
            "taskset",
            "-c",
            case.cores,
            PY,
            "-m",
            "uvicorn",
            case.factory,
            "--factory",
            "--port",
            str(case.port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
            *(["--workers", str(case.workers)] if case.workers > 1 else []),
        ],
        env=case.env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{case.port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/v1", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        raise RuntimeError(
            f"{case.name} did not start: {(workdir / f'{case.name}.log').read_text()}"
        )
    if case.seeded:
        with httpx.Client(base_url=base, headers=case.headers) as client:
            ids = [
                client.post("/v1/projects", json={"name": f"p{i}"}).json()["id"] for i in range(60)
            ]
        case.project_id = ids[0]


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a multi-worker server's workers)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children = task.read_text().split()
        except OSError:
            continue
        for child in children:
            found.extend(_tree(int(child)))
    return found


def cpu_seconds(proc: subprocess.Popen[bytes]) -> float:
    """CPU time (user + system, every thread) the server's processes have used so far."""
    total = 0
    for pid in _tree(proc.pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def cpu_us_per_request(
    proc: subprocess.Popen[bytes], cpu_before: float, result: WrkResult
) -> float:
    """The server's CPU time per request (µs) over a wrk run that began at ``cpu_before``."""
    return (cpu_seconds(proc) - cpu_before) / max(result.requests, 1) * 1e6


def rss_kib(proc: subprocess.Popen[bytes]) -> int:
    """RSS of the server's processes, summed."""
    total = 0
    for pid in _tree(proc.pid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def lua_script(workdir: Path, case: Case, method: str) -> Path:
    lines = [f'wrk.method = "{method}"']
    headers = {**case.headers, **(case.create_headers if method == "POST" else {})}
    for key, value in {**headers, "Content-Type": "application/json"}.items():
        lines.append(f'wrk.headers["{key}"] = "{value}"')
    if method == "POST":
        lines.append('wrk.body = \'{"name": "bench project", "config": {"region": "us-west-2"}}\'')
    path = workdir / f"{case.name}-{method}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def redis_calls(client: redis.Redis | None) -> int:
    if client is None:
        return 0
    stats: dict[str, Any] = client.info("commandstats")  # type: ignore[assignment]
    return sum(int(v["calls"]) for k, v in stats.items() if k != "cmdstat_info")


def pin_redis(client: redis.Redis, core: int) -> tuple[int, set[int]] | None:
    """Pin the local redis-server to ``core``; ``(pid, previous affinity)`` to restore."""
    if core < 0:
        return None
    try:
        info: dict[str, Any] = client.info("server")  # type: ignore[assignment]
        pid = int(info["process_id"])
        previous = os.sched_getaffinity(pid)
        os.sched_setaffinity(pid, {core})
    except (OSError, KeyError, ValueError):
        return None  # not on this host, or not ours to pin
    print(f"redis-server (pid {pid}) pinned to core {core}", flush=True)
    return pid, previous


def _query_file(case: Case) -> tuple[int, int]:
    """``(switches, statements)`` as the server last wrote them (see bench.apps)."""
    try:
        switches, statements = (case.query_file.read_text() if case.query_file else "").split()
        return int(switches), int(statements)
    except (OSError, ValueError):
        return 0, 0


def _switch_counting(case: Case) -> int:
    """Turn the server's statement counting on or off; the count at that moment."""
    assert case.proc is not None
    before, _ = _query_file(case)
    os.kill(case.proc.pid, signal.SIGUSR2)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        switches, statements = _query_file(case)
        if switches > before:
            return statements
        time.sleep(0.02)
    raise RuntimeError(f"{case.name} did not answer the query-count switch")


def queries_per_request(
    case: Case, workdir: Path, seconds: int, connections: int
) -> dict[str, float]:
    """SQL statements per request of each endpoint, counted in runs of their own.

    The timed rounds run without the counting listener (it costs the database-backed cases
    about 7 us a statement); these runs switch it on around each endpoint.
    """
    counts: dict[str, float] = {}
    for endpoint, (method, path) in ENDPOINTS.items():
        url = f"http://127.0.0.1:{case.port}" + path.replace("{id}", case.project_id)
        start_count = _switch_counting(case)
        result = run_wrk(
            url,
            core=1,
            seconds=seconds,
            connections=connections,
            script=lua_script(workdir, case, method),
        )
        counts[endpoint] = round(
            (_switch_counting(case) - start_count) / max(result.requests, 1), 3
        )
    return counts


def rss_soak(case: Case, workdir: Path, total: int, connections: int) -> list[dict[str, int]]:
    """Serve ``total`` more GETs in chunks, recording RSS after each: it must level off."""
    assert case.proc is not None
    samples = [{"requests": 0, "rss_kib": rss_kib(case.proc)}]
    served = 0
    url = f"http://127.0.0.1:{case.port}/v1/projects/{case.project_id}"
    chunk_seconds = 10
    while served < total:
        result = run_wrk(
            url,
            core=1,
            seconds=chunk_seconds,
            connections=connections,
            script=lua_script(workdir, case, "GET"),
        )
        served += result.requests
        samples.append({"requests": served, "rss_kib": rss_kib(case.proc)})
        print(f"rss soak {case.name:17} {served:7d} requests  rss {samples[-1]['rss_kib']} KiB")
    return samples


def server_env(workdir: Path) -> dict[str, str]:
    """The environment of a benchmark server: the reference spec written into ``workdir`` with
    the enterprise tier's two policies raised out of reach (every request is still checked
    against both, one Redis round trip, but none is refused), no webhook worker, no access log.
    """
    import yaml

    doc = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    doc["x-specway-ratelimit"]["tiers"]["enterprise"] = {"burst": 10**9, "hourly": 10**9}
    spec = write_reference_variant(doc, workdir / "openapi.yaml")
    return {
        **os.environ,
        "SPECWAY_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "SPECWAY_WEBHOOK_WORKER": "false",
        "SPECWAY_ACCESS_LOG": "false",
        "PYTHONPATH": str(ROOT),
        "SPECWAY_SPEC_PATH": str(spec),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--cases",
        default="floor,specway_fixed,specway_sqlite,specway_postgres,specway_postgres_w2",
    )
    parser.add_argument(
        "--rss-requests",
        type=int,
        default=100_000,
        help="GETs each specway server serves after the rounds while its RSS is sampled (0: skip)",
    )
    parser.add_argument(
        "--redis-core",
        type=int,
        default=1,
        help="pin a local redis-server to this core during the run, away from the server's "
        "core 0 (as a Redis on its own host would be); -1 leaves it where it is",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--postgres-dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument(
        "--pg-synchronous-commit",
        default="off",
        choices=("on", "off", "local", "remote_write", "remote_apply"),
        help="synchronous_commit of the benchmark's PostgreSQL database. off (default): a "
        "commit does not wait for its WAL flush, the durability (and the per-commit cost) of "
        "(c)'s SQLite in WAL mode with synchronous=NORMAL: a power cut may lose the last "
        "commits, never corrupts. on: every create also waits for this disk's fsync",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="specway-bench-"))
    base_env = server_env(workdir)
    rconn = redis.Redis.from_url(args.redis_url)
    rconn.flushdb()
    redis_affinity = pin_redis(rconn, args.redis_core)
    pg_db = f"specway_bench_{os.getpid()}"
    wanted = args.cases.split(",")
    cases: list[Case] = []
    if "floor" in wanted:
        floor = Case("floor", "bench.apps:floor", dict(base_env))
        floor.headers["Authorization"] = "Bearer any-token"
        cases.append(floor)
    stack_env = {**base_env, "SPECWAY_REDIS_URL": args.redis_url}
    if "specway_fixed" in wanted:
        cases.append(
            Case(
                "specway_fixed",
                "bench.apps:specway_fixed",
                {**stack_env, "SPECWAY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/fixed.db"},
                auth=True,
            )
        )
    if "specway_sqlite" in wanted:
        cases.append(
            Case(
                "specway_sqlite",
                "bench.apps:specway_real",
                {**stack_env, "SPECWAY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/real.db"},
                auth=True,
                seeded=True,
            )
        )
    pg_url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{pg_db}"
    uses_pg = "specway_postgres" in wanted or "specway_postgres_w2" in wanted
    if uses_pg:
        subprocess.run(["psql", args.postgres_dsn, "-qc", f'CREATE DATABASE "{pg_db}"'], check=True)
        sync = f"ALTER DATABASE \"{pg_db}\" SET synchronous_commit = '{args.pg_synchronous_commit}'"
        subprocess.run(["psql", args.postgres_dsn, "-qc", sync], check=True)
    if "specway_postgres" in wanted:
        cases.append(
            Case(
                "specway_postgres",
                "bench.apps:specway_real",
                {**stack_env, "SPECWAY_DATABASE_URL": pg_url},
                auth=True,
                seeded=True,
            )
        )
    if "specway_postgres_w2" in wanted:
        extra = ",".join(str(c) for c in range(2, os.cpu_count() or 1))
        cases.append(
            Case(
                "specway_postgres_w2",
                "bench.apps:specway_real",
                {**stack_env, "SPECWAY_DATABASE_URL": pg_url},
                auth=True,
                seeded=True,
                workers=2,
                cores=f"0,{extra}" if extra else "0",
            )
        )
    results: dict[str, dict[str, list[WrkResult]]] = {
        c.name: {e: [] for e in ENDPOINTS} for c in cases
    }
    per_request: dict[str, dict[str, float]] = {c.name: {} for c in cases}
    # Server CPU per request (us): steadier than req/s when the machine's speed drifts.
    cpu: dict[str, dict[str, list[float]]] = {c.name: {e: [] for e in ENDPOINTS} for c in cases}
    rss: dict[str, dict[str, int]] = {}
    try:
        for case in cases:
            case.query_file = workdir / f"{case.name}.queries"
            case.env["SPECWAY_BENCH_QUERY_COUNT"] = str(case.query_file)
            if case.auth:
                key = mint_key(case.env)
                if key:
                    case.headers["Authorization"] = f"Bearer {key}"
                test_key = mint_key(case.env, test=True)
                if test_key:
                    case.create_headers["Authorization"] = f"Bearer {test_key}"
            start(case, workdir)
        for case in cases:  # warm-up
            assert case.proc is not None
            run_wrk(
                f"http://127.0.0.1:{case.port}/v1/projects/{case.project_id}",
                core=1,
                seconds=2,
                connections=args.connections,
                script=lua_script(workdir, case, "GET"),
            )
            rss[case.name] = {"after_warmup_kib": rss_kib(case.proc)}
        for round_no in range(args.rounds):
            order = cases if round_no % 2 == 0 else list(reversed(cases))
            for case in order:
                for endpoint, (method, path) in ENDPOINTS.items():
                    url = f"http://127.0.0.1:{case.port}" + path.replace("{id}", case.project_id)
                    before = redis_calls(rconn)
                    assert case.proc is not None
                    cpu_before = cpu_seconds(case.proc)
                    result = run_wrk(
                        url,
                        core=1,
                        seconds=args.seconds,
                        connections=args.connections,
                        script=lua_script(workdir, case, method),
                    )
                    cpu[case.name][endpoint].append(
                        cpu_us_per_request(case.proc, cpu_before, result)
                    )
                    calls = redis_calls(rconn) - before
                    results[case.name][endpoint].append(result)
                    per_request[case.name][f"redis_cmds_per_req_{endpoint}"] = round(
                        calls / max(result.requests, 1), 3
                    )
                    rps = result.requests_per_second
                    print(
                        f"round {round_no + 1} {case.name:17} {endpoint:6} {rps:9.1f} req/s"
                        f"  p50 {result.p50_ms:.2f} ms  p99 {result.p99_ms:.2f} ms"
                        f"  non-2xx {result.non_2xx}"
                        f"  cpu {cpu[case.name][endpoint][-1]:.0f} us/req",
                        flush=True,
                    )
        for case in cases:
            # specway's apps count statements (bench.apps); the floor has none, and a
            # multi-worker server's workers would write over each other's counts.
            if case.auth and case.workers == 1:
                counts = queries_per_request(case, workdir, 2, args.connections)
                for endpoint, value in counts.items():
                    per_request[case.name][f"db_queries_per_req_{endpoint}"] = value
        soaks: dict[str, list[dict[str, int]]] = {}
        for case in cases:
            assert case.proc is not None
            rss[case.name]["end_kib"] = rss_kib(case.proc)
            total = sum(r.requests for runs in results[case.name].values() for r in runs)
            rss[case.name]["requests_served"] = total
            if args.rss_requests and case.auth and case.workers == 1:
                soaks[case.name] = rss_soak(case, workdir, args.rss_requests, args.connections)
    finally:
        if redis_affinity is not None:
            os.sched_setaffinity(*redis_affinity)
        for case in cases:
            if case.proc:
                case.proc.terminate()
                case.proc.wait(timeout=20)
        if uses_pg:
            subprocess.run(
                [
                    "psql",
                    args.postgres_dsn,
                    "-qc",
                    f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)',
                ],
                check=False,
            )
    report = summarise(results, per_request, rss, args)
    report["cpu_us_per_request"] = cpu
    report["markdown"] += cpu_table(cpu)
    report["rss_soak"] = soaks
    report["markdown"] += soak_table(soaks) + per_request_table(per_request)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    out = ROOT / "bench" / "results" / f"{stamp}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    (ROOT / "bench" / "results" / f"{stamp}.md").write_text(report["markdown"])
    print(report["markdown"])
    print(f"written: {out}")
    return 0


def cpu_table(cpu: dict[str, dict[str, list[float]]]) -> str:
    """Median server CPU per request, and the ratios as throughput would give them."""
    medians = {c: {e: statistics.median(v) for e, v in eps.items() if v} for c, eps in cpu.items()}
    lines = ["", "| case | endpoint | server CPU us/request (runs) | median |", "|---|---|---|---|"]
    for name, eps in cpu.items():
        for endpoint, runs in eps.items():
            if runs:
                lines.append(
                    f"| {name} | {endpoint} | {', '.join(f'{r:.0f}' for r in runs)} | "
                    f"{medians[name][endpoint]:.0f} |"
                )
    lines += ["", "| CPU ratio (den/num: > 1 means cheaper) | " + " | ".join(ENDPOINTS) + " |"]
    lines.append("|---|" + "---|" * len(ENDPOINTS))
    for num, den, label in RATIOS:
        if num in medians and den in medians and all(e in medians[num] for e in ENDPOINTS):
            values = [medians[den][e] / medians[num][e] for e in ENDPOINTS]
            lines.append(f"| {label} | " + " | ".join(f"{v:.3f}" for v in values) + " |")
    return "\n".join(lines) + "\n"


def soak_table(soaks: dict[str, list[dict[str, int]]]) -> str:
    if not soaks:
        return ""
    lines = [
        "",
        "| case | RSS before (KiB) | after (KiB) | requests | growth over the last half (KiB) |",
        "|---|---|---|---|---|",
    ]
    for name, samples in soaks.items():
        half = samples[len(samples) // 2]
        lines.append(
            f"| {name} | {samples[0]['rss_kib']} | {samples[-1]['rss_kib']} | "
            f"{samples[-1]['requests']} | {samples[-1]['rss_kib'] - half['rss_kib']} |"
        )
    return "\n".join(lines) + "\n"


def per_request_table(per_request: dict[str, dict[str, float]]) -> str:
    lines = ["", "| case | endpoint | Redis commands/request | SQL statements/request |"]
    lines.append("|---|---|---|---|")
    for name, values in per_request.items():
        for endpoint in ENDPOINTS:
            lines.append(
                f"| {name} | {endpoint} | {values.get(f'redis_cmds_per_req_{endpoint}', 0)} | "
                f"{values.get(f'db_queries_per_req_{endpoint}', 0)} |"
            )
    return "\n".join(lines) + "\n"


RATIOS = (
    ("specway_fixed", "floor", "b/a"),
    ("specway_sqlite", "floor", "c/a"),
    ("specway_postgres", "floor", "d/a"),
    ("specway_postgres_w2", "floor", "d2/a (2 workers)"),
    ("specway_sqlite", "specway_fixed", "c/b"),
    ("specway_postgres", "specway_fixed", "d/b"),
)


def summarise(
    results: dict[str, dict[str, list[WrkResult]]],
    per_request: dict[str, dict[str, float]],
    rss: dict[str, dict[str, int]],
    args: argparse.Namespace,
) -> dict[str, Any]:
    medians = {
        case: {
            ep: statistics.median(r.requests_per_second for r in runs) for ep, runs in eps.items()
        }
        for case, eps in results.items()
    }
    ratios: dict[str, dict[str, float]] = {}
    for num, den, label in RATIOS:
        if num in medians and den in medians:
            ratios[label] = {ep: round(medians[num][ep] / medians[den][ep], 3) for ep in ENDPOINTS}
    lines = [
        "| case | endpoint | runs (req/s) | median | p50 ms | p99 ms | non-2xx |",
        "|---|---|---|---|---|---|---|",
    ]
    for case, eps in results.items():
        for ep, runs in eps.items():
            lines.append(
                f"| {case} | {ep} | {', '.join(f'{r.requests_per_second:.0f}' for r in runs)} | "
                f"{medians[case][ep]:.0f} | {statistics.median(r.p50_ms for r in runs):.2f} | "
                f"{statistics.median(r.p99_ms for r in runs):.2f} | "
                f"{sum(r.non_2xx for r in runs)} |"
            )
    lines += ["", "| ratio | " + " | ".join(ENDPOINTS) + " |", "|---|" + "---|" * len(ENDPOINTS)]
    for label, values in ratios.items():
        lines.append(f"| {label} | " + " | ".join(f"{values[ep]:.3f}" for ep in ENDPOINTS) + " |")
    return {
        "settings": {
            "seconds": args.seconds,
            "rounds": args.rounds,
            "connections": args.connections,
            "server_core": 0,
            "wrk_core": 1,
            "redis_core": args.redis_core,
            "pg_synchronous_commit": args.pg_synchronous_commit,
        },
        "runs": {
            c: {ep: [asdict(r) for r in runs] for ep, runs in eps.items()}
            for c, eps in results.items()
        },
        "medians": medians,
        "ratios": ratios,
        "per_request": per_request,
        "rss": rss,
        "markdown": "\n".join(lines) + "\n",
    }


if __name__ == "__main__":
    sys.exit(main())
