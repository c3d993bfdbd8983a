"""Load, identities, the secrets ledger and the figures report of the reliability scenarios."""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fault_components import REFERENCE_SPEC, Gateway, operator
from hostile_findings import findings_section

# Bounded in the default run; ``python -m bench.soak`` sets SPECWAY_SOAK=1 for longer versions.
SOAK = os.environ.get("SPECWAY_SOAK", "") not in ("", "0")
REPORT_PATH = os.environ.get("SPECWAY_RELIABILITY_REPORT", "")
# Keep the rows of scenarios not run this time (``bench.soak --merge``, e.g. with ``-k``).
MERGE = os.environ.get("SPECWAY_RELIABILITY_MERGE", "") not in ("", "0")
SMALL_LIMIT = 20  # the ``tiny`` tier of :func:`spec_copy`: 20 requests an hour


def scale(bounded: float, soak: float) -> float:
    return soak if SOAK else bounded


@dataclass
class Outcome:
    """One request's result: a status, or the exception that ended it."""

    started: float
    elapsed: float
    status: int | None
    error: str | None = None
    body: str = ""
    envelope: bool = False


@dataclass
class Identity:
    """A registered user, their organisation and an all-scopes API key on a live gateway."""

    email: str
    password: str
    token: str
    key: str
    key_id: str
    organization_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def register(
    base_url: str, ledger: SecretLedger | None = None, plan: str = "enterprise"
) -> Identity:
    """Register a fresh user on ``base_url``, have the operator put their organisation on
    ``plan`` (``specway orgs set-plan``) and mint an API key with every scope."""
    email = f"rel-{secrets.token_hex(6)}@example.com"
    password = f"pw-{secrets.token_urlsafe(18)}"
    with httpx.Client(base_url=base_url, timeout=30) as client:
        reply = client.post("/v1/auth/register", json={"email": email, "password": password})
        assert reply.status_code == 201, reply.text
        body = reply.json()
        created = client.post(
            "/v1/api-keys",
            json={"name": "reliability", "scopes": ["read", "write", "delete", "admin"]},
            headers={"Authorization": f"Token {body['token']}"},
        )
        assert created.status_code == 201, created.text
        key = created.json()
    # The top tier by default, set by the operator (a caller cannot choose it): these
    # scenarios measure faults, not the rate limits.
    operator(base_url, "orgs", "set-plan", body["organization"]["id"], plan)
    found = Identity(
        email, password, body["token"], key["key"], key["id"], body["organization"]["id"]
    )
    if ledger is not None:
        ledger.add(password, found.token, found.key)
    return found


def spec_copy(tmp_path: Path, failure: str = "open") -> Path:
    """The reference spec with the top tier out of reach (the load measures the fault, not the
    limit), a ``tiny`` tier for the exactness check and the rate-limit ``failure`` mode."""
    text = REFERENCE_SPEC.read_text(encoding="utf-8")
    mode = "  failure: open\n"
    assert text.count(mode) == 1, "the reference spec's failure mode changed"
    text = text.replace(mode, f"  failure: {failure}\n")
    old = "    enterprise: {burst: 1000, hourly: 100000}\n"
    assert old in text, "the reference spec's tiers changed"
    new = (
        "    enterprise: {burst: 1000000, hourly: 10000000}\n"
        f"    tiny: {{hourly: {SMALL_LIMIT}}}\n"
    )
    # Written elsewhere, the variant names the reference project's handlers and migrations by
    # path.
    text = text.replace(
        "x-specway-handlers: handlers\n",
        f"x-specway-handlers: {REFERENCE_SPEC.parent / 'handlers'}\n"
        f"x-specway-migrations: {REFERENCE_SPEC.parent / 'migrations'}\n",
    )
    path = tmp_path / "openapi.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def mint_key(base_url: str, who: Identity, plan: str, ledger: SecretLedger) -> tuple[str, str]:
    """A new read-only API key on ``plan``: (key, key id). A key's tier is its organisation's
    plan, so a plan other than ``who``'s top tier gets a fresh organisation of its own (which
    also keeps its counters apart from ``who``'s load)."""
    if plan != "enterprise":
        who = register(base_url, ledger, plan=plan)
    reply = httpx.post(
        f"{base_url}/v1/api-keys",
        json={"name": f"rel-{plan}", "scopes": ["read"]},
        headers={"Authorization": f"Token {who.token}"},
        timeout=30,
    )
    assert reply.status_code == 201, reply.text
    body = reply.json()
    ledger.add(body["key"])
    return body["key"], body["id"]


def quota_left(base_url: str, key: str) -> int:
    """What is left of ``key``'s hourly quota after one more call. The quota is its
    organisation's, so the calls that made the key (registration's key, the mint) have spent
    some of it: an exactness check expects exactly this many admissions next."""
    reply = httpx.get(
        f"{base_url}/v1/projects?per_page=1", headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert reply.status_code == 200, reply.text
    return int(reply.headers["X-RateLimit-Remaining"])


def start_gateways(*gateways: Gateway) -> None:
    """Start the gateway processes side by side (each waits for its own readiness)."""
    starters = [threading.Thread(target=g.start) for g in gateways]
    for thread in starters:
        thread.start()
    for thread in starters:
        thread.join()
    for gateway in gateways:
        assert gateway.child is not None
        assert gateway.child.alive(), "a gateway did not start"


def admitted_of(
    urls: list[str], key: str, burst: int, timeout: float = 10.0
) -> tuple[int, int, set[str | None]]:
    """``burst`` concurrent list calls with ``key``, spread round-robin over ``urls``:
    (admitted, rejected with 429, the ``X-RateLimit-Limit`` values seen)."""
    found: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def one(n: int) -> None:
        reply = client.get(f"{urls[n % len(urls)]}/v1/projects?per_page=1")
        with lock:
            found.append((reply.status_code, reply.headers.get("x-ratelimit-limit")))

    # One client (one TLS context, pooled connections): building a client per call costs more
    # CPU than the call.
    headers = {"Authorization": f"Bearer {key}"}
    with (
        httpx.Client(headers=headers, timeout=timeout) as client,
        ThreadPoolExecutor(16) as pool,
    ):
        list(pool.map(one, range(burst)))
    statuses = Counter(status for status, _ in found)
    assert set(statuses) <= {200, 429}, statuses
    return statuses[200], statuses[429], {limit for _, limit in found}


def revocation_seconds(issuer: str, other: str, who: Identity, ledger: SecretLedger) -> float:
    """Mint a key, use it on ``other`` (which caches it), revoke it through ``issuer``: the
    seconds until ``other`` refuses it (fails after 5 s)."""
    from fault_components import wait_until

    key, key_id = mint_key(issuer, who, "enterprise", ledger)
    probe = f"{other}/v1/projects?per_page=1"
    bearer = {"Authorization": f"Bearer {key}"}
    assert httpx.get(probe, headers=bearer, timeout=10).status_code == 200
    revoked = httpx.delete(
        f"{issuer}/v1/api-keys/{key_id}",
        headers={"Authorization": f"Token {who.token}"},
        timeout=10,
    )
    assert revoked.status_code == 204, revoked.text
    return wait_until(
        lambda: httpx.get(probe, headers=bearer, timeout=5).status_code == 401,
        5,
        "the revoked key refused by the other gateway",
        every=0.02,
    )


def is_envelope(body: Any) -> bool:
    """The reference API's nested envelope: ``{"error": {"code", "message", "request_id"}}``."""
    return (
        isinstance(body, dict)
        and isinstance(body.get("error"), dict)
        and isinstance(body["error"].get("code"), str)
        and bool(body["error"].get("request_id"))
    )


def record(started: float, response: httpx.Response) -> Outcome:
    envelope = False
    if response.status_code >= 400:
        try:
            envelope = is_envelope(response.json())
        except ValueError:
            envelope = False
    return Outcome(
        started,
        time.monotonic() - started,
        response.status_code,
        body=response.text[:2000] if response.status_code in (201, *range(400, 600)) else "",
        envelope=envelope,
    )


class Load:
    """``threads`` clients each calling ``request(client, n)`` in a loop until stopped."""

    def __init__(
        self,
        base_url: str,
        request: Callable[[httpx.Client, int], httpx.Response],
        *,
        threads: int = 8,
        timeout: float = 10.0,
        keepalive: bool = True,
    ) -> None:
        self.base_url = base_url
        # Without keep-alive each request opens its own connection: a refused connect then
        # means "never reached the server", and a dropped one "lost in flight".
        self.limits = httpx.Limits(max_keepalive_connections=None if keepalive else 0)
        self.request = request
        self.threads = threads
        self.timeout = timeout
        self.outcomes: list[Outcome] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []
        self._counter = 0

    def _next(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    def _loop(self) -> None:
        with httpx.Client(
            base_url=self.base_url, timeout=self.timeout, limits=self.limits
        ) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    found = record(started, self.request(client, self._next()))
                except httpx.HTTPError as exc:
                    found = Outcome(started, time.monotonic() - started, None, type(exc).__name__)
                with self._lock:
                    self.outcomes.append(found)

    def __enter__(self) -> Load:
        for _ in range(self.threads):
            thread = threading.Thread(target=self._loop, daemon=True)
            thread.start()
            self._workers.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._workers:
            thread.join(self.timeout + 5)

    def count(self) -> int:
        with self._lock:
            return len(self.outcomes)

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.count() < count:
            assert time.monotonic() < deadline, f"only {self.count()} of {count} requests"
            time.sleep(0.02)

    def snapshot(self) -> list[Outcome]:
        with self._lock:
            return list(self.outcomes)

    def statuses(self) -> Counter[int | str]:
        return Counter(o.status if o.status is not None else str(o.error) for o in self.snapshot())


class SecretLedger:
    """Every secret the scenarios used, and every text they captured that must not contain one."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()
        self.texts: list[tuple[str, str]] = []  # (where, text)
        self._lock = threading.Lock()

    def add(self, *values: str) -> None:
        with self._lock:
            self.secrets.update(v for v in values if v and len(v) >= 8)

    def capture(self, where: str, text: str) -> None:
        with self._lock:
            self.texts.append((where, text))

    def capture_outcomes(self, where: str, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            if outcome.body and outcome.status is not None and outcome.status >= 400:
                self.capture(where, outcome.body)

    def hits(self, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """(where, first 6 characters of the secret) for every secret found in any text."""
        found = []
        for where, text in [*self.texts, *extra]:
            for secret in self.secrets:
                if secret in text:
                    found.append((where, secret[:6] + "…"))
        return found


@dataclass
class Row:
    """One scenario's line of ``docs/reliability.md``."""

    scenario: str
    load: str
    fault: str
    outcome: str = "running"
    figures: dict[str, Any] = field(default_factory=dict)


class Report:
    """Collects one row per scenario; written to ``path`` (``SPECWAY_RELIABILITY_REPORT``) as
    each scenario ends, so a long soak cut short still leaves the rows it finished."""

    def __init__(self, path: Path | None = None) -> None:
        self.rows: list[Row] = []
        self.path = path

    @contextmanager
    def scenario(self, name: str, load: str, fault: str) -> Iterator[Row]:
        row = Row(name, load, fault)
        self.rows.append(row)
        try:
            yield row
        except BaseException as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            row.outcome = f"FAIL: {first[:160]}"
            raise
        else:
            row.outcome = "pass"
        finally:
            if self.path is not None:
                self.write(self.path)

    def write(self, path: Path) -> None:
        mode = "soak" if SOAK else "bounded (CI)"
        lines = [
            "# Reliability figures",
            "",
            "Generated by `tests/reliability` (run: `python -m bench.soak`, or "
            "`SPECWAY_RELIABILITY_REPORT=docs/reliability.md pytest -m reliability`). "
            "Each scenario starts its own real components (a private `redis-server`, a private "
            "PostgreSQL cluster from `initdb`, `specway serve` gateway and "
            "`specway webhooks worker` processes) and kills them.",
            "",
            f"Run: **{mode}**, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs.",
        ]
        ours = {row.scenario: _line(row) for row in self.rows}
        rows = []
        if MERGE:  # keep the other rows of an earlier report of the same mode
            earlier = _report_rows(path, f"Run: **{mode}**")
            kept = sum(1 for name, _ in earlier if name not in ours)
            rows = [ours.pop(name, line) for name, line in earlier]
            lines[-1] += (
                f" {len(self.rows)} rows from this run; {kept} kept from an earlier run of the "
                "same size (`bench.soak --merge`)."
            )
        rows += ours.values()
        lines += ["", "| scenario | load | fault | outcome | figures |", "|---|---|---|---|---|"]
        path.write_text("\n".join(lines + rows + findings_section()) + "\n", encoding="utf-8")


def _line(row: Row) -> str:
    figures = "; ".join(f"{k}: {_fmt(v)}" for k, v in row.figures.items())
    return f"| {row.scenario} | {row.load} | {row.fault} | {row.outcome} | {figures} |"


def _report_rows(path: Path, run_line: str) -> list[tuple[str, str]]:
    """(scenario, table line) of the report at ``path`` if it records a run of this mode."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    if run_line not in text:
        return []
    # The scenario table ends at the first blank line (the static findings follow it).
    table = text.split("|---|---|---|---|---|\n", 1)[-1].split("\n\n", 1)[0]
    return [
        (line.split(" | ", 1)[0][2:], line) for line in table.splitlines() if line.startswith("| ")
    ]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value).replace("|", "/")


def query(database_url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Run one SQL query on the PostgreSQL behind ``database_url`` (asyncpg, fresh connection)."""
    import asyncio

    import asyncpg

    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")

    async def run() -> list[tuple[Any, ...]]:
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            return [tuple(r) for r in await conn.fetch(sql, *args)]
        finally:
            await conn.close()

    return asyncio.run(run())
