"""specway unchanged on a Redis Cluster: three masters, two gateway processes.

The test starts three ``redis-server --cluster-enabled yes`` masters and joins them with
``redis-cli --cluster create``; the gateways get ``SPECWAY_REDIS_URL=redis+cluster://<seed>``
and nothing else changes. On it: the rate limiter's script admits exactly a key's limit of many
concurrent calls spread over both gateways, a key revoked through one gateway is refused by the
other within 1 s, an ``Idempotency-Key`` replays its first response (and creates one project).
Afterwards every key on the masters is read back: the keys of one limiter call (one hash tag)
share a slot, and the state really is spread over the masters.
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from pathlib import Path

import httpx
from fault_components import Gateway, RedisClusterNodes, specway_env
from fault_harness import (
    SMALL_LIMIT,
    Report,
    SecretLedger,
    admitted_of,
    mint_key,
    query,
    quota_left,
    register,
    revocation_seconds,
    scale,
    spec_copy,
    start_gateways,
)

TAG = re.compile(r"\{([^}]*)\}")


def _keys_by_node(cluster: RedisClusterNodes) -> list[list[str]]:
    return [cluster.cli("--scan", port=node.port).split() for node in cluster.nodes]


def test_redis_cluster_three_masters_two_gateways(
    pg_database: str, tmp_path: Path, report: Report, ledger: SecretLedger
) -> None:
    burst = int(scale(10 * SMALL_LIMIT, 50 * SMALL_LIMIT))
    replays = int(scale(5, 50))
    with report.scenario(
        "Redis Cluster (3 masters, 2 gateways)",
        load=f"{burst} concurrent calls of one key over 2 gateways; {replays} idempotent replays",
        fault="none: `redis+cluster://` instead of one server (hash-tagged keys across masters)",
    ) as row:
        cluster = RedisClusterNodes(tmp_path)
        env = specway_env(pg_database, redis_url=cluster.url, spec_path=spec_copy(tmp_path))
        gateways = [Gateway(tmp_path, env), Gateway(tmp_path, env)]
        try:
            cluster.start()
            start_gateways(*gateways)
            urls = [g.url for g in gateways]
            who = register(urls[0], ledger)

            # Health checks every master through the cluster client.
            health = httpx.get(f"{urls[1]}/health", timeout=10)
            assert health.status_code == 200, health.text
            assert health.json()["checks"]["redis"]["status"] == "ok"

            # Exact admission across both processes.
            key, _ = mint_key(urls[0], who, "tiny", ledger)
            left = quota_left(urls[0], key)
            admitted, rejected, limits = admitted_of(urls, key, burst)
            row.figures.update(exactness=f"{admitted} of {burst} admitted (limit {SMALL_LIMIT})")
            assert admitted + rejected == burst
            assert 0 < left < SMALL_LIMIT
            assert admitted == left, f"{admitted} admitted, {left} left of {SMALL_LIMIT}"
            assert limits == {str(SMALL_LIMIT)}

            # Idempotency: the same key through either gateway replays the first response.
            created: dict[str, str] = {}
            replayed = 0
            with httpx.Client(timeout=30, headers=who.headers) as client:
                for n in range(replays):
                    idem = {"Idempotency-Key": f"cluster-{secrets.token_hex(8)}"}
                    body = {"name": f"cluster-{n}"}
                    first = client.post(f"{urls[n % 2]}/v1/projects", json=body, headers=idem)
                    again = client.post(f"{urls[(n + 1) % 2]}/v1/projects", json=body, headers=idem)
                    assert first.status_code == 201, first.text
                    assert again.status_code == 201, again.text
                    assert again.headers.get("idempotent-replayed") == "true"
                    assert again.json() == first.json()
                    replayed += 1
                    created[first.json()["id"]] = body["name"]
            rows = query(pg_database, "SELECT name FROM projects WHERE name LIKE 'cluster-%'")
            row.figures.update(idempotent_replays=replayed, projects_created=len(rows))
            assert sorted(name for (name,) in rows) == sorted(created.values())

            # Revocation through gateway 0 is seen by gateway 1 within a second.
            revoked_in = revocation_seconds(urls[0], urls[1], who, ledger)
            row.figures["revocation_across_gateways_s"] = revoked_in
            assert revoked_in < 1.0, f"revocation took {revoked_in:.2f} s"

            # Where the state lives: per hash tag one slot; the masters share the keys.
            by_node = _keys_by_node(cluster)
            slots_by_tag: dict[str, set[int]] = defaultdict(set)
            keys_by_tag: dict[str, int] = defaultdict(int)
            for keys in by_node:
                for key_name in keys:
                    if key_name.startswith("specway:rl:"):
                        found = TAG.search(key_name)
                        assert found is not None, f"a rate-limit key without hash tag: {key_name}"
                        slots_by_tag[found.group(1)].add(cluster.keyslot(key_name))
                        keys_by_tag[found.group(1)] += 1
            row.figures.update(
                keys_per_master=[len(keys) for keys in by_node],
                ratelimit_tags=len(slots_by_tag),
                most_keys_under_one_tag=max(keys_by_tag.values()),
            )
            assert slots_by_tag, "no rate-limit keys on the cluster"
            assert all(len(slots) == 1 for slots in slots_by_tag.values()), slots_by_tag
            # The enterprise tier has two policies (burst + hourly): one call, two keys, one slot.
            assert max(keys_by_tag.values()) >= 2
            assert sum(1 for keys in by_node if keys) >= 2, "every key on one master"
        finally:
            alive = [g.child for g in gateways if g.child is not None and g.child.alive()]
            if alive:
                row.figures["peak_rss_mb"] = max(c.status()["VmHWM"] for c in alive) / 1024
            for gateway in gateways:
                if gateway.child is not None:
                    gateway.child.stop()
                    ledger.capture("redis cluster gateway log", gateway.child.log_text())
            cluster.stop()
