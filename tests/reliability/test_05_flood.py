"""Flood: many requests over many distinct API keys, idempotency keys and client IPs.

Every per-key structure (the auth cache, negative lookups, idempotency records in memory) has a
cap, so memory levels off instead of growing with the number of distinct keys; connections and
threads return to where they were (no file-descriptor or task leak).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

import httpx
from fault_components import Gateway, specway_env, wait_until
from fault_harness import Load, Report, SecretLedger, register, scale


def test_flood_of_distinct_keys_and_ips_keeps_memory_and_fds_bounded(
    pg_database: str, tmp_path: Path, report: Report, ledger: SecretLedger
) -> None:
    total = int(scale(3000, float(os.environ.get("SPECWAY_SOAK_FLOOD_REQUESTS", 100_000))))
    distinct = int(scale(1000, 10_000))
    with report.scenario(
        "Flood",
        load=f"{total} requests over {distinct} distinct API keys, idempotency keys and IPs",
        fault="unknown keys (401), fresh Idempotency-Keys, spoofed X-Forwarded-For",
    ) as row:
        # PostgreSQL: on SQLite eight concurrent writers can exceed the busy timeout (a 503).
        env = specway_env(pg_database, auth_cache_size=500)
        gateway = Gateway(tmp_path, env)
        gateway.start()
        assert gateway.child is not None
        try:
            who = register(gateway.url, ledger)
            salt = secrets.token_hex(4)

            def call(client: httpx.Client, n: int) -> httpx.Response:
                k = n % distinct
                ip = f"10.{k // 65536 % 256}.{k // 256 % 256}.{k % 256}"
                if n % 3 == 0:
                    bogus = f"sk_live_{salt}{k:024d}"
                    return client.get("/v1/projects", headers={"Authorization": f"Bearer {bogus}"})
                headers = {**who.headers, "X-Forwarded-For": ip}
                if n % 3 == 1:
                    headers["Idempotency-Key"] = f"flood-{salt}-{k}"
                    return client.post("/v1/projects", json={"name": f"f{k}"}, headers=headers)
                return client.get("/v1/projects?per_page=1", headers=headers)

            # Warm up (imports, pools, first allocations), then measure from a steady state.
            with Load(gateway.url, call, threads=8) as warm:
                warm.wait_for(300, 60)
            before = gateway.child.status()
            fds_before = len(_fds(gateway.child.pid))
            with Load(gateway.url, call, threads=8, timeout=10) as load:
                load.wait_for(total, max(600, total / 10))
            try:
                settle: float | str = wait_until(
                    lambda: len(_fds(gateway.child.pid)) <= fds_before + 2,  # type: ignore[union-attr]
                    10,
                    "file descriptors back to the baseline",
                )
            except TimeoutError:
                settle = "did not settle in 10 s"
            after = gateway.child.status()
            fds_after = len(_fds(gateway.child.pid))
            statuses = load.statuses()
            ledger.capture_outcomes("flood error bodies", load.snapshot())
            fivexx = sum(v for k, v in statuses.items() if isinstance(k, int) and k >= 500)
            failed = sum(v for k, v in statuses.items() if isinstance(k, str))
            growth_mb = (after["VmRSS"] - before["VmRSS"]) / 1024
            row.figures.update(
                requests=sum(statuses.values()),
                statuses=dict(sorted((str(k), v) for k, v in statuses.items())),
                **{"5xx": fivexx},
                rss_before_mb=before["VmRSS"] / 1024,
                rss_after_mb=after["VmRSS"] / 1024,
                peak_rss_mb=after["VmHWM"] / 1024,
                fds_before=fds_before,
                fds_after=fds_after,
                threads_before=before["Threads"],
                threads_after=after["Threads"],
                fd_settle_s=settle,
            )
            assert fds_after <= fds_before + 2, _fds(gateway.child.pid)
            assert fivexx == 0
            assert failed == 0, {k: v for k, v in statuses.items() if isinstance(k, str)}
            # asyncio's default executor (getaddrinfo, to_thread) may start up to min(32, cpus + 4)
            # threads on demand and keeps them: bounded, not a leak.
            assert after["Threads"] <= before["Threads"] + min(32, (os.cpu_count() or 1) + 4)
            assert growth_mb < (64 if total <= 10_000 else 128), f"RSS grew {growth_mb:.0f} MB"
        finally:
            gateway.child.stop()
            ledger.capture("flood gateway log", gateway.child.log_text())


def _fds(pid: int) -> list[str]:
    """Open descriptors of a process (sockets, files, pipes)."""
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(FileNotFoundError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            found.append(target)
    return sorted(found)
