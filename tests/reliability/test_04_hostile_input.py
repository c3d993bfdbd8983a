"""Hostile input against a live gateway: always an answer below 500, errors in the envelope.

schemathesis's negative phase sends every operation of the reference spec requests that break
its schema (wrong types, missing required fields, out-of-range values, bad formats): 4 fuzzed
examples an operation in the bounded run; in the soak 30 plus the coverage phase's boundary
cases. hypothesis generates ``Authorization``, ``X-Request-ID``, ``Idempotency-Key`` and
``X-Forwarded-For`` values (arbitrary bytes a client can put in a header); fixed cases send a
64 kB query string, JSON nested 10,000 deep, invalid UTF-8 and duplicate JSON keys. A client
timeout would be a hang; a 5xx or an error outside the envelope is a bug.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from fault_components import REFERENCE_SPEC, Gateway, specway_env
from fault_harness import (
    SOAK,
    Identity,
    Report,
    SecretLedger,
    is_envelope,
    register,
    scale,
    spec_copy,
)
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from specway.spec import load_spec_document

EXAMPLES = int(scale(60, 500))
NEGATIVE_EXAMPLES = int(scale(4, 30))  # per operation
NEGATIVE: Counter[str] = Counter()
# uvicorn's HTTP parser answers requests it cannot parse itself, before any application code.
SERVER_REJECT = "Invalid HTTP request received."
SEEN: Counter[str] = Counter()
# Header values a client can send: any byte but CR, LF and NUL (h11 refuses those itself).
header_bytes = st.binary(min_size=0, max_size=300).map(
    lambda b: b.replace(b"\r", b"").replace(b"\n", b"").replace(b"\0", b"").strip()
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, Identity]]:
    workdir = tmp_path_factory.mktemp("hostile")
    # The top tier out of reach: thousands of calls with one key measure input, not limits.
    env = specway_env(f"sqlite+aiosqlite:///{workdir / 'api.db'}", spec_path=spec_copy(workdir))
    gateway = Gateway(workdir, env)
    gateway.start()
    try:
        yield gateway, register(gateway.url)
    finally:
        assert gateway.child is not None
        gateway.child.stop()
        for client in CLIENTS.values():
            client.close()


def check(response: httpx.Response, what: str, ledger: SecretLedger | None = None) -> bool:
    """Assert below 500 and envelope; ``False`` when uvicorn's parser refused the request."""
    SEEN[f"{response.status_code // 100}xx"] += 1
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        if response.text == SERVER_REJECT:
            SEEN["rejected by the HTTP parser"] += 1
            return False
        try:
            body = response.json()
        except ValueError:
            body = None
        assert is_envelope(body), (
            f"{what}: not an envelope: {response.status_code} {response.text[:300]}"
        )
        if ledger is not None:
            ledger.capture(f"hostile {what}", response.text)
    return True


CLIENTS: dict[str, httpx.Client] = {}


def send(gateway: Gateway, method: str, path: str, **kwargs: object) -> httpx.Response:
    # One pooled client per gateway: building a client per example costs more than the call.
    client = CLIENTS.get(gateway.url)
    if client is None:
        client = CLIENTS[gateway.url] = httpx.Client(base_url=gateway.url, timeout=10)
    try:
        return client.request(method, path, **kwargs)  # type: ignore[arg-type]
    except httpx.LocalProtocolError:
        reject()  # the client library refuses to send this header at all
        raise


HYPO = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYPO
@given(value=header_bytes)
def test_fuzzed_authorization(live: tuple[Gateway, Identity], value: bytes) -> None:
    gateway, _ = live
    reply = send(gateway, "GET", "/v1/projects", headers={"Authorization": value})
    check(reply, "Authorization")
    assert reply.status_code in (400, 401, 403) or value.startswith(b"Bearer sk")


@HYPO
@given(value=header_bytes)
def test_fuzzed_request_id(live: tuple[Gateway, Identity], value: bytes) -> None:
    gateway, who = live
    reply = send(gateway, "GET", "/v1/projects", headers={**who.headers, "X-Request-ID": value})
    if not check(reply, "X-Request-ID"):
        return
    echoed = reply.headers.get("X-Request-ID", "")
    assert echoed
    assert len(echoed) <= 200
    assert echoed.isprintable()


@HYPO
@given(value=header_bytes)
def test_fuzzed_idempotency_key(live: tuple[Gateway, Identity], value: bytes) -> None:
    gateway, who = live
    reply = send(
        gateway,
        "POST",
        "/v1/projects",
        json={"name": "fuzzed"},
        headers={**who.headers, "Idempotency-Key": value},
    )
    check(reply, "Idempotency-Key")


@HYPO
@given(value=header_bytes)
def test_fuzzed_forwarded_for(live: tuple[Gateway, Identity], value: bytes) -> None:
    gateway, who = live
    reply = send(
        gateway,
        "POST",
        "/v1/projects",
        json={"name": "forwarded"},
        headers={**who.headers, "X-Forwarded-For": value},
    )
    check(reply, "X-Forwarded-For")


negative = schemathesis.openapi.from_dict(load_spec_document(REFERENCE_SPEC))
negative.config.generation.update(
    modes=[GenerationMode.NEGATIVE], max_examples=NEGATIVE_EXAMPLES, deterministic=not SOAK
)
# The soak adds the coverage phase (every schema keyword's boundary violated, ~40 requests an
# operation); the bounded run fuzzes only, to stay within its time budget.
negative.config.phases.update(phases=["examples", "coverage", "fuzzing"] if SOAK else ["fuzzing"])
SESSION = requests.Session()


@negative.parametrize()
@hypothesis.settings(
    max_examples=NEGATIVE_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=not SOAK,
)
def test_schemathesis_negative_phase(case: Any, live: tuple[Gateway, Identity]) -> None:
    """Requests that break the spec: never a 5xx or a hang, every error in the envelope."""
    gateway, who = live
    try:
        response = case.call(
            base_url=gateway.url, session=SESSION, headers=dict(who.headers), timeout=10
        )
    except requests.exceptions.InvalidHeader:
        reject()  # requests refuses to send this header value at all
    except requests.exceptions.Timeout as exc:  # a hang
        raise AssertionError(f"{case.method} {case.formatted_path}: no answer in 10 s") from exc
    status = int(response.status_code)
    NEGATIVE[f"{status // 100}xx"] += 1
    what = f"{case.method} {case.formatted_path}"
    assert status < 500, f"{what}: {status} {response.text[:300]}"
    if status >= 400 and response.text != SERVER_REJECT:
        try:
            body = response.json()
        except ValueError:
            body = None
        assert is_envelope(body), f"{what}: not an envelope: {status} {response.text[:300]}"


@pytest.mark.parametrize(
    ("name", "method", "path", "body", "content_type"),
    [
        ("64 kB query string", "GET", "/v1/projects?search=" + "a" * 65_000, None, None),
        ("64 kB of query params", "GET", "/v1/projects?" + "&".join(["x=1"] * 16_000), None, None),
        ("JSON nested 10,000 deep", "POST", "/v1/projects",
         b'{"name": "n", "config": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", "application/json"),
        ("JSON object nested 10,000 deep", "POST", "/v1/projects",
         b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "application/json"),
        ("invalid UTF-8 body", "POST", "/v1/projects", b'{"name": "\xff\xfe\xc3"}',
         "application/json"),
        ("invalid UTF-8 in the path", "GET", "/v1/projects/%ff%fe", None, None),
        ("duplicate JSON keys", "POST", "/v1/projects", b'{"name": "a", "name": "b"}',
         "application/json"),
        ("truncated JSON", "POST", "/v1/projects", b'{"name": "a"', "application/json"),
        ("JSON that is not an object", "POST", "/v1/projects", b"[1, 2, 3]", "application/json"),
        ("huge number", "POST", "/v1/projects", b'{"name": "a", "x": 1' + b"0" * 5000 + b"}",
         "application/json"),
        ("NaN literal", "POST", "/v1/projects", b'{"name": NaN}', "application/json"),
    ],
)  # fmt: skip
def test_malformed_requests_get_a_4xx_envelope(
    live: tuple[Gateway, Identity],
    name: str,
    method: str,
    path: str,
    body: bytes | None,
    content_type: str | None,
    ledger: SecretLedger,
) -> None:
    gateway, who = live
    headers = dict(who.headers)
    if content_type:
        headers["Content-Type"] = content_type
    reply = send(gateway, method, path, content=body, headers=headers)
    check(reply, name, ledger)
    if "64 kB" not in name:  # a long search term or unknown parameters are still valid
        assert 400 <= reply.status_code < 500, f"{name}: {reply.status_code} {reply.text[:200]}"


def test_zz_record_hostile_input(
    live: tuple[Gateway, Identity], report: Report, ledger: SecretLedger, tmp_path: Path
) -> None:
    gateway, who = live
    assert gateway.child is not None
    ledger.add(who.key, who.token, who.password)
    with report.scenario(
        "Hostile input",
        load=f"hypothesis: {EXAMPLES} examples each of 4 headers; 11 malformed bodies/URLs",
        fault="fuzzed Authorization, X-Request-ID, Idempotency-Key, X-Forwarded-For; 64 kB "
        "query; JSON 10,000 deep; invalid UTF-8; duplicate keys",
    ) as row:
        log = gateway.child.log_text()
        ledger.capture("hostile gateway log", log)
        row.figures.update(
            responses=dict(sorted(SEEN.items())),
            **{"5xx": SEEN.get("5xx", 0)},
            unhandled_errors_logged=log.count("unhandled error"),
            peak_rss_mb=gateway.child.status()["VmHWM"] / 1024,
        )
        assert SEEN, "the fuzz tests did not run"
        assert SEEN.get("5xx", 0) == 0
        assert "unhandled error" not in log


def test_zz_record_negative_phase(live: tuple[Gateway, Identity], report: Report) -> None:
    gateway, _ = live
    assert gateway.child is not None
    operations = sum(1 for _ in negative.get_all_operations())
    with report.scenario(
        "schemathesis negative phase",
        load=f"{NEGATIVE_EXAMPLES} negative examples per operation, {operations} operations",
        fault="requests breaking the spec: wrong types, missing/extra fields, bad formats",
    ) as row:
        row.figures.update(
            requests=sum(NEGATIVE.values()),
            responses=dict(sorted(NEGATIVE.items())),
            **{"5xx": NEGATIVE.get("5xx", 0)},
            peak_rss_mb=gateway.child.status()["VmHWM"] / 1024,
        )
        assert NEGATIVE, "the negative phase did not run"
        assert NEGATIVE.get("5xx", 0) == 0
