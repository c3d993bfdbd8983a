"""PostgreSQL stopped under load and started again, the gateway left running.

While the database is down every request ends within a bounded time (no client timeout) and
database-backed calls answer 503 in the envelope, never a 500. After the restart the same gateway
process serves again (pooled connections are pre-pinged and replaced). No partial writes: every
project row has exactly its ``project.created`` outbox event, every 201 the client saw is a row.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import httpx
from fault_components import Gateway, PostgresCluster, specway_env, wait_until
from fault_harness import Load, Report, SecretLedger, query, register, scale, spec_copy


def test_postgres_stopped_under_load_then_restarted(
    pg_cluster: PostgresCluster,
    pg_database: str,
    tmp_path: Path,
    report: Report,
    ledger: SecretLedger,
) -> None:
    outage = scale(2.0, 20.0)
    with report.scenario(
        "PostgreSQL stopped under load",
        load="8 clients: create + list projects",
        fault=f"`pg_ctl stop -m fast` for {outage:.0f} s, then start",
    ) as row:
        # The top tier out of reach (as in the other scenarios): during the outage every
        # request must reach the database, not be refused by the limiter first.
        gateway = Gateway(tmp_path, specway_env(pg_database, spec_path=spec_copy(tmp_path)))
        gateway.start()
        try:
            who = register(gateway.url, ledger)

            def call(client: httpx.Client, n: int) -> httpx.Response:
                if n % 2:
                    return client.post(
                        "/v1/projects", json={"name": f"load-{n}"}, headers=who.headers
                    )
                return client.get("/v1/projects", headers=who.headers)

            with Load(gateway.url, call, threads=8, timeout=10) as load:
                load.wait_for(100)
                stopped_at = time.monotonic()
                pg_cluster.stop("fast")
                first_503 = wait_until(
                    lambda: any(
                        o.status == 503 and o.started >= stopped_at for o in load.snapshot()
                    ),
                    15,
                    "a 503 after the database stopped",
                    every=0.01,
                )
                time.sleep(outage)  # the outage itself: load keeps running against it
                pg_cluster.start()
                restarted_at = time.monotonic()
                recovery = wait_until(
                    lambda: any(
                        o.status in (200, 201) and o.started >= restarted_at
                        for o in load.snapshot()
                    ),
                    30,
                    "a success after the database came back",
                    every=0.01,
                )
                settled = load.count()
                load.wait_for(settled + 50)
            outcomes = load.snapshot()
            ledger.capture_outcomes("postgres outage error bodies", outcomes)
            assert gateway.child is not None
            assert gateway.child.alive(), "the gateway died"

            statuses = load.statuses()
            during = [o for o in outcomes if stopped_at <= o.started < restarted_at]
            fivexx_other = [o for o in outcomes if o.status is not None and o.status >= 500]
            fivexx_other = [o for o in fivexx_other if o.status != 503]
            hung = [o for o in outcomes if o.status is None]
            slowest = max(o.elapsed for o in during)
            limited = sum(1 for o in during if o.status == 429)
            row.figures.update(
                requests=len(outcomes),
                during_outage=len(during),
                statuses_during_outage=dict(Counter(o.status for o in during)),
                # Past the limiter and authentication, into a handler that needs the database.
                reached_database_during_outage=len(during) - limited,
                **{"503 (envelope)": sum(1 for o in outcomes if o.status == 503 and o.envelope)},
                **{"5xx other than 503": len(fivexx_other)},
                hung=len(hung),
                first_503_s=first_503,
                slowest_during_outage_s=slowest,
                recovery_s=recovery,
            )
            assert not hung, f"requests without an answer: {statuses}"
            assert not fivexx_other, fivexx_other[0].body
            assert all(o.envelope for o in outcomes if o.status == 503), "503 outside envelope"
            assert slowest < 8, f"a request took {slowest:.1f} s during the outage"
            assert any(o.status == 503 for o in during)
            assert limited == 0, f"{limited} requests refused by the limiter, not the outage"

            created = {json.loads(o.body)["id"] for o in outcomes if o.status == 201}
            rows = query(pg_database, "SELECT id, name FROM projects")
            events = query(
                pg_database,
                "SELECT project_id FROM webhook_events WHERE type = 'project.created'",
            )
            event_ids = sorted(e[0] for e in events)
            partial = sorted({r[0] for r in rows} ^ set(event_ids))
            duplicated = len(event_ids) - len(set(event_ids))
            successes = len(created)
            row.figures.update(
                created_201=successes,
                project_rows=len(rows),
                partial_writes=len(partial) + duplicated,
            )
            assert not partial, f"rows without events or events without rows: {partial[:5]}"
            assert duplicated == 0
            # Every 201 is a row (a row without a 201 can only be a request cut off in flight).
            lost = created - {r[0] for r in rows}
            row.figures["lost_201s"] = len(lost)
            assert not lost, f"201 responses without a row: {sorted(lost)[:5]}"
            row.figures["peak_rss_mb"] = gateway.child.status()["VmHWM"] / 1024
        finally:
            if not pg_cluster.running():
                pg_cluster.start()
            if gateway.child is not None:
                gateway.child.stop()
                ledger.capture("gateway log", gateway.child.log_text())
