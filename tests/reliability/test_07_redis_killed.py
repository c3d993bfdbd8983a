"""Redis SIGKILLed under load and restarted, two gateway processes sharing it and PostgreSQL.

The reference spec's rate-limit failure mode is ``open``: while Redis is dead every request is
served without the rate-limit headers (the plugin's documented fail-open behaviour), never a
5xx, and every response arrives within the backend's bounded wait (``redis_socket_timeout``,
stretched at most to the overload cap of 2 s) plus slack: no hung requests. After the restart
both gateways decide on Redis again (headers back) and limiting is exact across the two
processes: of many concurrent requests with one key on a small tier, exactly its limit is
admitted. Finally a key revoked through one gateway is refused by the other within 1 s.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from fault_components import Gateway, RedisServer, specway_env, wait_until
from fault_harness import (
    SMALL_LIMIT,
    Load,
    Report,
    SecretLedger,
    mint_key,
    register,
    scale,
    spec_copy,
)

OVERLOAD_CAP = 2.0  # the Redis backend's longest wait (max(2.0, 8 x socket timeout))
SLACK = 1.0


@dataclass
class Seen:
    started: float
    gateway: int
    status: int
    limit_headers: bool
    finished: float


def test_redis_killed_under_load_then_restarted(
    pg_database: str,
    redis_server: RedisServer,
    tmp_path: Path,
    report: Report,
    ledger: SecretLedger,
) -> None:
    outage = scale(2.0, 20.0)
    burst = int(scale(100, 1000))
    with report.scenario(
        "Redis killed under load (2 gateways)",
        load="8 clients over 2 gateway processes sharing Redis + PostgreSQL: list projects",
        fault=f"SIGKILL `redis-server` for {outage:.0f} s, then restart (failure mode `open`)",
    ) as row:
        env = specway_env(pg_database, redis_url=redis_server.url, spec_path=spec_copy(tmp_path))
        gateways = [Gateway(tmp_path, env), Gateway(tmp_path, env)]
        starters = [threading.Thread(target=g.start) for g in gateways]
        for thread in starters:
            thread.start()
        for thread in starters:
            thread.join()
        try:
            for gateway in gateways:
                assert gateway.child is not None
                assert gateway.child.alive(), "a gateway died"
            who = register(gateways[0].url, ledger)
            seen: list[Seen] = []
            lock = threading.Lock()

            def call(client: httpx.Client, n: int) -> httpx.Response:
                started = time.monotonic()
                url = f"{gateways[n % 2].url}/v1/projects?per_page=1"
                reply = client.get(url, headers=who.headers)
                with lock:
                    seen.append(
                        Seen(
                            started,
                            n % 2,
                            reply.status_code,
                            "x-ratelimit-limit" in reply.headers,
                            time.monotonic(),
                        )
                    )
                return reply

            def headers_back(since: float) -> bool:
                """Both gateways answered a request started after ``since`` with the headers
                (each one's breaker closed again)."""
                with lock:
                    found = {s.gateway for s in seen if s.started >= since and s.limit_headers}
                return found == {0, 1}

            timeout = OVERLOAD_CAP + SLACK + 2  # the client gives up later than the assertion
            with Load(gateways[0].url, call, threads=8, timeout=timeout) as load:
                load.wait_for(100)
                killed_at = time.monotonic()
                redis_server.kill()
                dead_at = time.monotonic()  # reaped: no request started later can reach it
                time.sleep(outage)
                restart_at = time.monotonic()
                redis_server.start()
                # Recovered: both gateways answer with headers again (each breaker closed).
                recovery = wait_until(
                    lambda: headers_back(restart_at),
                    15,
                    "rate-limit headers after the Redis restart",
                    every=0.02,
                )
                settled = load.count()
                load.wait_for(settled + 50)
            outcomes = load.snapshot()
            ledger.capture_outcomes("redis outage error bodies", outcomes)
            for gateway in gateways:
                assert gateway.child is not None
                assert gateway.child.alive(), "a gateway died"

            statuses = load.statuses()
            fivexx = [o for o in outcomes if o.status is not None and o.status >= 500]
            hung = [o for o in outcomes if o.status is None]
            during = [o for o in outcomes if killed_at <= o.started < restart_at]
            slowest = max(o.elapsed for o in outcomes)
            with lock:
                before = [s for s in seen if s.finished < killed_at]
                dead = [s for s in seen if dead_at <= s.started < restart_at]
                # Only calls that also finished before the restart: one still in flight when Redis
                # came back is (rightly) limited again and carries headers.
                settled_dead = [
                    s for s in dead if s.started >= dead_at + 0.25 and s.finished < restart_at
                ]
            row.figures.update(
                requests=len(outcomes),
                during_outage=len(during),
                statuses=dict(sorted((str(k), v) for k, v in statuses.items())),
                **{"5xx": len(fivexx)},
                hung=len(hung),
                max_latency_s=slowest,
                max_latency_during_outage_s=max(o.elapsed for o in during),
                headers_during_outage=sum(1 for s in dead if s.limit_headers),
                recovery_s=recovery,
            )
            assert not fivexx, fivexx[0].body
            assert not hung, f"requests without an answer: {statuses}"
            assert set(statuses) == {200}, statuses
            assert slowest < OVERLOAD_CAP + SLACK, f"a request took {slowest:.2f} s"
            assert before, "no request before the fault"
            assert all(s.limit_headers for s in before), "headers missing before the fault"
            assert settled_dead, "no request during the outage"
            assert not any(s.limit_headers for s in settled_dead), "fail-open with headers"

            # Exact again after the restart, across both processes: N of many are admitted.
            key, _ = mint_key(gateways[0].url, who, "tiny", ledger)
            counted: list[tuple[int, str | None]] = []

            def one(n: int) -> None:
                reply = httpx.get(
                    f"{gateways[n % 2].url}/v1/projects?per_page=1",
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=timeout,
                )
                with lock:
                    counted.append((reply.status_code, reply.headers.get("x-ratelimit-limit")))

            with ThreadPoolExecutor(16) as pool:
                list(pool.map(one, range(burst)))
            admitted = sum(1 for status, _ in counted if status == 200)
            rejected = sum(1 for status, _ in counted if status == 429)
            row.figures.update(
                exactness=f"{admitted} of {burst} admitted (limit {SMALL_LIMIT})",
            )
            assert admitted + rejected == burst, sorted({s for s, _ in counted})
            assert admitted == SMALL_LIMIT, f"{admitted} admitted, limit {SMALL_LIMIT}"
            assert all(limit == str(SMALL_LIMIT) for _, limit in counted)

            # Revocation through gateway 0 reaches gateway 1 (which has the key cached).
            key, key_id = mint_key(gateways[0].url, who, "enterprise", ledger)
            probe = f"{gateways[1].url}/v1/projects?per_page=1"
            bearer = {"Authorization": f"Bearer {key}"}
            assert httpx.get(probe, headers=bearer, timeout=10).status_code == 200
            revoked = httpx.delete(
                f"{gateways[0].url}/v1/api-keys/{key_id}",
                headers={"Authorization": f"Token {who.token}"},
                timeout=10,
            )
            assert revoked.status_code == 204, revoked.text
            revoked_in = wait_until(
                lambda: httpx.get(probe, headers=bearer, timeout=5).status_code == 401,
                5,
                "the revoked key refused by the other gateway",
                every=0.02,
            )
            row.figures["revocation_across_gateways_s"] = revoked_in
            assert revoked_in < 1.0, f"revocation took {revoked_in:.2f} s"
        finally:
            for gateway in gateways:
                if gateway.child is not None:
                    gateway.child.stop()
                    ledger.capture("redis outage gateway log", gateway.child.log_text())
