"""Redis SIGKILLed under load and restarted, two gateway processes sharing it and PostgreSQL.

Fail-open (the reference spec's mode), with two ``specway webhooks worker`` processes as well:
while Redis is dead every request is served without the rate-limit headers (the plugin's
documented fail-open behaviour), never a 5xx. A quarter of the load creates projects, so the
two workers deliver a few hundred ``project.created`` events meanwhile: every one reaches the
receiver exactly once (the PostgreSQL lease keeps the two workers off each other's deliveries).

Fail-closed (the spec copy says ``failure: closed``): every decision during the outage is the
documented 503 in the error envelope with ``Retry-After``, and no other 5xx.

In both, every response arrives within the backend's bounded wait (``redis_socket_timeout``,
stretched at most to the overload cap of 2 s) plus slack: no hung requests. After the restart
both gateways decide on Redis again (headers back) and limiting is exact across the two
processes: of many concurrent requests with one key on a small tier, exactly its limit is
admitted. Finally a key revoked through one gateway is refused by the other within 1 s.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx
import pytest
from fault_components import Gateway, RedisServer, Worker, specway_env, wait_until
from fault_harness import (
    SMALL_LIMIT,
    Load,
    Report,
    SecretLedger,
    admitted_of,
    is_envelope,
    mint_key,
    query,
    quota_left,
    register,
    revocation_seconds,
    scale,
    spec_copy,
    start_gateways,
)
from webhooks_support import Receiver

OVERLOAD_CAP = 2.0  # the Redis backend's longest wait (max(2.0, 8 x socket timeout))
SLACK = 1.0


@dataclass
class Seen:
    started: float
    gateway: int
    status: int
    limit_headers: bool
    finished: float
    envelope: bool
    retry_after: bool


def _seen(started: float, gateway: int, reply: httpx.Response) -> Seen:
    envelope = False
    if reply.status_code >= 400:
        try:
            envelope = is_envelope(reply.json())
        except ValueError:
            envelope = False
    return Seen(
        started,
        gateway,
        reply.status_code,
        "x-ratelimit-limit" in reply.headers,
        time.monotonic(),
        envelope,
        "retry-after" in reply.headers,
    )


@pytest.mark.parametrize("failure", ["open", "closed"])
def test_redis_killed_under_load_then_restarted(
    failure: Literal["open", "closed"],
    pg_database: str,
    redis_server: RedisServer,
    receiver: Receiver,
    tmp_path: Path,
    report: Report,
    ledger: SecretLedger,
) -> None:
    outage = scale(2.0, 20.0)
    burst = int(scale(100, 1000))
    events = int(scale(200, 1000)) if failure == "open" else 0
    hooks = f"; {events} project.created events, 2 webhook workers" if events else ""
    with report.scenario(
        f"Redis killed under load (2 gateways, fail-{failure})",
        load="8 clients over 2 gateway processes sharing Redis + PostgreSQL: list"
        + (" + create projects" if events else " projects")
        + hooks,
        fault=f"SIGKILL `redis-server` for {outage:.0f} s, then restart (failure mode `{failure}`)",
    ) as row:
        env = specway_env(
            pg_database, redis_url=redis_server.url, spec_path=spec_copy(tmp_path, failure)
        )
        gateways = [Gateway(tmp_path, env), Gateway(tmp_path, env)]
        workers = [Worker(tmp_path, env, name=f"worker-{n}") for n in range(2 if events else 0)]
        try:
            start_gateways(*gateways)
            who = register(gateways[0].url, ledger)
            if events:
                hook = httpx.post(
                    f"{gateways[0].url}/v1/webhooks",
                    json={"url": receiver.url, "events": ["project.created"]},
                    headers=who.headers,
                    timeout=30,
                )
                assert hook.status_code == 201, hook.text
                ledger.add(hook.json()["secret"])
                for worker in workers:
                    # Small batches: the two workers take turns claiming the outbox.
                    worker.start("--batch-size", "10")
            seen: list[Seen] = []
            lock = threading.Lock()

            def call(client: httpx.Client, n: int) -> httpx.Response:
                started = time.monotonic()
                base = gateways[n % 2].url
                if events and n % 4 == 0:
                    reply = client.post(
                        f"{base}/v1/projects", json={"name": f"rel-{n}"}, headers=who.headers
                    )
                else:
                    reply = client.get(f"{base}/v1/projects?per_page=1", headers=who.headers)
                with lock:
                    seen.append(_seen(started, n % 2, reply))
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
                recovered_at = time.monotonic()
                settled = load.count()
                load.wait_for(settled + 50)
            outcomes = load.snapshot()
            ledger.capture_outcomes("redis outage error bodies", outcomes)
            for gateway in gateways:
                assert gateway.child is not None
                assert gateway.child.alive(), "a gateway died"

            statuses = load.statuses()
            unavailable = [o for o in outcomes if o.status == 503]
            fivexx = [o for o in outcomes if o.status is not None and o.status >= 500]
            other_5xx = fivexx if failure == "open" else [o for o in fivexx if o.status != 503]
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
                refused = [s for s in seen if s.status == 503]
            row.figures.update(
                requests=len(outcomes),
                during_outage=len(during),
                statuses=dict(sorted((str(k), v) for k, v in statuses.items())),
                **{"5xx": len(fivexx)},
                **({"5xx other than 503": len(other_5xx)} if failure == "closed" else {}),
                hung=len(hung),
                max_latency_s=slowest,
                max_latency_during_outage_s=max(o.elapsed for o in during),
                headers_during_outage=sum(1 for s in dead if s.limit_headers),
                recovery_s=recovery,
            )
            assert not other_5xx, other_5xx[0].body
            assert not hung, f"requests without an answer: {statuses}"
            assert slowest < OVERLOAD_CAP + SLACK, f"a request took {slowest:.2f} s"
            assert before, "no request before the fault"
            assert all(s.limit_headers for s in before), "headers missing before the fault"
            assert settled_dead, "no request during the outage"
            assert not any(s.limit_headers for s in settled_dead), "limit headers without Redis"
            if failure == "open":
                assert set(statuses) <= {200, 201}, statuses
            else:
                assert set(statuses) <= {200, 503}, statuses
                assert all(s.status == 503 for s in settled_dead), "admitted while closed"
                assert all(s.envelope and s.retry_after for s in refused), "503 off envelope"
                # Refused only while the decision could not be made: after the kill, and before
                # both breakers had closed again.
                assert all(killed_at <= s.finished and s.started < recovered_at for s in refused)
                row.figures.update(refused_503_in_envelope=len(unavailable))

            # Exact again after the restart, across both processes: N of many are admitted.
            key, _ = mint_key(gateways[0].url, who, "tiny", ledger)
            left = quota_left(gateways[0].url, key)
            admitted, rejected, limits = admitted_of([g.url for g in gateways], key, burst)
            row.figures.update(exactness=f"{admitted} of {burst} admitted (limit {SMALL_LIMIT})")
            assert admitted + rejected == burst
            assert 0 < left < SMALL_LIMIT
            assert admitted == left, f"{admitted} admitted, {left} left of {SMALL_LIMIT}"
            assert limits == {str(SMALL_LIMIT)}

            # Revocation through gateway 0 reaches gateway 1 (which has the key cached).
            revoked_in = revocation_seconds(gateways[0].url, gateways[1].url, who, ledger)
            row.figures["revocation_across_gateways_s"] = revoked_in
            assert revoked_in < 1.0, f"revocation took {revoked_in:.2f} s"

            if events:
                _deliveries_once(
                    gateways, workers, who.headers, events, pg_database, receiver, row.figures
                )
        finally:
            alive = [g.child for g in gateways if g.child is not None and g.child.alive()]
            if alive:
                row.figures["peak_rss_mb"] = max(c.status()["VmHWM"] for c in alive) / 1024
            for child in [g.child for g in gateways] + [w.child for w in workers]:
                if child is not None:
                    child.stop()
                    ledger.capture(f"redis outage {child.name} log", child.log_text())
            for received in receiver.requests:
                ledger.capture("redis outage webhook payload", received.body.decode())


def _deliveries_once(
    gateways: list[Gateway],
    workers: list[Worker],
    headers: dict[str, str],
    events: int,
    database_url: str,
    receiver: Receiver,
    figures: dict[str, object],
) -> None:
    """Top the load's projects up to ``events``, wait until the two workers have delivered
    every ``project.created`` and count what reached the receiver more than once."""
    made = query(database_url, "SELECT count(*) FROM projects")[0][0]

    def create(n: int) -> int:
        reply = client.post(f"{gateways[n % 2].url}/v1/projects", json={"name": f"top-{n}"})
        return reply.status_code

    with (
        httpx.Client(headers=headers, timeout=30) as client,
        ThreadPoolExecutor(8) as pool,
    ):
        topped = Counter(pool.map(create, range(max(0, events - made))))
    assert set(topped) <= {201}, topped
    projects = {row[0] for row in query(database_url, "SELECT id FROM projects")}
    started = time.monotonic()
    wait_until(
        lambda: (
            query(
                database_url, "SELECT count(*) FROM webhook_deliveries WHERE status <> 'succeeded'"
            )[0][0]
            == 0
        ),
        60,
        "every webhook delivered",
        every=0.2,
    )
    drained = time.monotonic() - started
    deliveries = query(database_url, "SELECT count(*) FROM webhook_deliveries")[0][0]
    attempts = query(database_url, "SELECT delivery_id, attempt FROM webhook_attempts")
    received = Counter(r.headers["webhook-id"] for r in receiver.requests)
    delivered = {r.json()["data"]["project"]["id"] for r in receiver.requests}
    # Each worker logs every attempt it makes: both took part, and between them sent each once.
    by_worker = [
        w.child.log_text().count('"message":"webhook attempt"') if w.child else 0 for w in workers
    ]
    figures.update(
        events=len(projects),
        deliveries=deliveries,
        received=sum(received.values()),
        lost_events=len(projects - delivered),
        duplicate_attempts=sum(n - 1 for n in received.values()),
        duplicate_recorded_attempts=len(attempts) - len(set(attempts)),
        attempts_per_worker=by_worker,
        outbox_drained_after_load_s=drained,
    )
    assert deliveries == len(projects), (deliveries, len(projects))
    assert delivered == projects, "an event never reached the receiver"
    assert set(received.values()) == {1}, Counter(received.values())
    assert sorted(n for _, n in attempts) == [1] * len(projects)
    assert sum(by_worker) == len(projects), by_worker
    assert all(by_worker), f"one worker delivered everything: {by_worker}"
