"""Requests/s of ``GET /v1/projects/{id}`` with and without authentication, side by side.

Two ``specway serve`` processes (one worker each) on the same SQLite database, both pinned to
one core; ``wrk`` pinned to another core hits one of them at a time, alternating
no-auth / auth for ``--rounds`` rounds after a warm-up. The "without" server runs the reference
spec with ``getProject`` made public (``security: []``) and reads a project that belongs to no
organisation; the "with" server runs the reference spec unchanged and is called with an API key
(``Authorization: Bearer sk_live_…``) of the project's organisation. Same handler, same query,
same row shape: the difference is the auth plugin's hot path (header parse, checksum, HMAC,
cache hit, scope check) plus Connexion's security stage.

    .venv/bin/python bench/auth_overhead.py [--duration 10] [--rounds 2] [--connections 16]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
# Run as a script (``python bench/<name>.py``): the repository root holds the bench package.
sys.path.insert(0, str(ROOT))
from bench.variant import write_reference_variant  # noqa: E402

SPECWAY = str(Path(sys.executable).with_name("specway"))


def start_server(spec: Path, port: int, env: dict[str, str], core: str) -> subprocess.Popen[bytes]:
    command = ["taskset", "-c", core, SPECWAY, "serve", "--spec", str(spec), "--port", str(port),
               "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit(f"server on port {port} did not start")


def wrk(url: str, headers: dict[str, str], args: argparse.Namespace, duration: int) -> float:
    command = ["taskset", "-c", args.client_core, "wrk", "-t1", f"-c{args.connections}",
               f"-d{duration}s", url]  # fmt: skip
    for name, value in headers.items():
        command[4:4] = ["-H", f"{name}: {value}"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not match or non2xx:
        raise SystemExit(f"wrk failed or saw errors:\n{out}")
    return float(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--server-core", default="0")
    parser.add_argument("--client-core", default="1")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        env = {
            **os.environ,
            "SPECWAY_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
            "SPECWAY_SECRET_KEY": "bench-secret-key-0123456789abcdef",
            "SPECWAY_AUTH_SCRYPT_LOG_N": "12",
        }
        env.pop("SPECWAY_REDIS_URL", None)
        document = yaml.safe_load((ROOT / "openapi.yaml").read_text())
        document["paths"]["/v1/projects/{project_id}"]["get"]["security"] = []
        public_spec = write_reference_variant(document, Path(tmp) / "public.yaml")

        auth_port, open_port = 18431, 18432
        servers = [start_server(ROOT / "openapi.yaml", auth_port, env, args.server_core)]
        try:
            base = f"http://127.0.0.1:{auth_port}"
            user = httpx.post(
                f"{base}/v1/auth/register",
                json={"email": "bench@example.com", "password": "correct-horse-battery"},
            ).json()
            key = httpx.post(
                f"{base}/v1/api-keys",
                json={"name": "bench", "scopes": ["read", "write"]},
                headers={"Authorization": f"Token {user['token']}"},
            ).json()["key"]
            auth = {"Authorization": f"Bearer {key}"}
            owned = httpx.post(f"{base}/v1/projects", json={"name": "bench"}, headers=auth).json()
            # The same row, but owned by no organisation, for the public operation.
            with sqlite3.connect(db) as conn:
                conn.execute(
                    "INSERT INTO projects (id, organization_id, name, description, status, config,"
                    " created_by, created_at, updated_at) SELECT 'proj_public', NULL, name,"
                    " description, status, config, created_by, created_at, updated_at"
                    " FROM projects WHERE id = ?",
                    (owned["id"],),
                )
            servers.append(start_server(public_spec, open_port, env, args.server_core))
            cases = {
                "without auth": (f"http://127.0.0.1:{open_port}/v1/projects/proj_public", {}),
                "with API key": (f"{base}/v1/projects/{owned['id']}", auth),
            }
            for url, headers in cases.values():
                assert httpx.get(url, headers=headers).status_code == 200
                wrk(url, headers, args, 2)  # warm-up
            results: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(args.rounds):
                for name, (url, headers) in cases.items():
                    results[name].append(wrk(url, headers, args, args.duration))
        finally:
            for proc in servers:
                proc.terminate()
            for proc in servers:
                proc.wait(timeout=20)

    print(f"GET /v1/projects/{{id}}  wrk -t1 -c{args.connections} -d{args.duration}s, "
          f"server on core {args.server_core}, wrk on core {args.client_core}")  # fmt: skip
    means = {name: sum(v) / len(v) for name, v in results.items()}
    for name, values in results.items():
        runs = "  ".join(f"{v:8.1f}" for v in values)
        print(f"  {name:13s} runs: {runs}   mean {means[name]:8.1f} req/s")
    base_rps, auth_rps = means["without auth"], means["with API key"]
    overhead_us = (1 / auth_rps - 1 / base_rps) * 1e6
    print(f"  auth costs {100 * (1 - auth_rps / base_rps):.1f}% of throughput, "
          f"~{overhead_us:.0f} µs per request")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
