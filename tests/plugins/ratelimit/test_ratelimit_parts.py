"""Client IP, cost rules, headers, the circuit breaker and the limiter's failure modes."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence

import pytest
from rl_support import FakeClock

from specway.errors import ConfigError, StorageError
from specway.plugins.ratelimit.algorithms import GCRA, Verdict
from specway.plugins.ratelimit.backends import PolicyCheck
from specway.plugins.ratelimit.backends.memory import MemoryBackend
from specway.plugins.ratelimit.breaker import CircuitBreaker, RateLimitStats
from specway.plugins.ratelimit.client_ip import ClientIPResolver
from specway.plugins.ratelimit.cost import CostRule
from specway.plugins.ratelimit.headers import limit_headers, retry_after, tightest
from specway.plugins.ratelimit.limiter import RateLimiter
from specway.plugins.ratelimit.plan import PolicySet
from specway.spec import RateLimitPolicy
from specway.types import SCOPE_CLIENT_IP, Scope


def scope(peer: str, *forwarded: str, query: bytes = b"") -> Scope:
    headers = [(b"x-forwarded-for", f.encode()) for f in forwarded]
    return {"type": "http", "client": (peer, 5000), "headers": headers, "query_string": query}


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "expected"),
    [
        ((), "203.0.113.9", ("1.2.3.4",), "203.0.113.9"),  # no proxies: header ignored
        (("10.0.0.0/8",), "203.0.113.9", ("1.2.3.4",), "203.0.113.9"),  # spoofed, untrusted peer
        (("10.0.0.0/8",), "10.0.0.2", ("1.2.3.4",), "1.2.3.4"),
        (("10.0.0.0/8",), "10.0.0.2", ("6.6.6.6, 1.2.3.4, 10.0.0.7",), "1.2.3.4"),
        (("10.0.0.0/8",), "10.0.0.2", ("6.6.6.6", "1.2.3.4"), "1.2.3.4"),  # two header lines
        (("10.0.0.0/8",), "10.0.0.2", ("6.6.6.6, garbage, 10.0.0.9",), "10.0.0.9"),
        (("10.0.0.0/8",), "10.0.0.2", (), "10.0.0.2"),
        (("10.0.0.0/8",), "10.0.0.2", ("1.2.3.4:8080",), "1.2.3.4"),
        (("::1/128",), "::1", ("[2001:db8::1]:443",), "2001:db8::1"),
        (("127.0.0.1/32",), "127.0.0.1", ("::ffff:192.0.2.1",), "192.0.2.1"),
    ],
)
def test_client_ip(
    trusted: tuple[str, ...], peer: str, forwarded: tuple[str, ...], expected: str
) -> None:
    request = scope(peer, *forwarded)
    assert ClientIPResolver(trusted)(request) == expected
    assert request[SCOPE_CLIENT_IP] == expected


def test_client_ip_is_resolved_once_per_request() -> None:
    request = scope("10.0.0.2", "1.2.3.4")
    request[SCOPE_CLIENT_IP] = "198.51.100.7"  # set by an earlier stage
    assert ClientIPResolver(("10.0.0.0/8",))(request) == "198.51.100.7"


def test_bad_trusted_proxy_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not-a-cidr"):
        ClientIPResolver(("10.0.0.0/8", "not-a-cidr"))


@pytest.mark.parametrize(
    ("raw", "body", "query", "headers", "expected"),
    [
        (3, None, b"", [], 3),
        ("$request.body#/operations", {"operations": [1, 2, 3, 4]}, b"", [], 4),
        ("$request.body#/operations", {"operations": []}, b"", [], 1),  # never free
        ("$request.body#/operations", {"operations": "x"}, b"", [], 1),
        ("$request.body#/operations", None, b"", [], 1),
        ("$request.body#/meta/count", {"meta": {"count": 7}}, b"", [], 7),
        ("$request.body#/meta/count", {"meta": {"count": True}}, b"", [], 1),
        ("$request.body#/a~1b/0", {"a/b": [5]}, b"", [], 5),
        ("$request.body", [1, 2], b"", [], 2),
        ("$request.query.count", None, b"x=1&count=12", [], 12),
        ("$request.query.count", None, b"count=-3", [], 1),
        ("$request.header.X-Batch-Size", None, b"", [(b"x-batch-size", b"9")], 9),
    ],
)
def test_cost_rules(
    raw: int | str,
    body: object,
    query: bytes,
    headers: list[tuple[bytes, bytes]],
    expected: int,
) -> None:
    request = scope("127.0.0.1", query=query)
    request["headers"] = headers
    assert CostRule.parse(raw).evaluate(request, body) == expected


def policy_set() -> PolicySet:
    return PolicySet.of(
        (RateLimitPolicy("burst", 10, 60), RateLimitPolicy("hourly", 100, 3600, "sliding-window"))
    )


def test_headers_describe_the_tightest_policy_and_list_all() -> None:
    verdicts = [Verdict(True, 7, 18_001, 0), Verdict(True, 3, 1_200_000, 0)]
    headers = dict(limit_headers(policy_set(), verdicts))
    assert headers[b"x-ratelimit-limit"] == b"100"
    assert headers[b"x-ratelimit-remaining"] == b"3"
    assert headers[b"x-ratelimit-reset"] == b"1200"
    assert headers[b"ratelimit-policy"] == b'"burst";q=10;w=60, "hourly";q=100;w=3600'
    assert headers[b"ratelimit"] == b'"burst";r=7;t=19, "hourly";r=3;t=1200'


def test_reset_as_unix_time_when_asked() -> None:
    verdicts = [Verdict(True, 7, 18_001, 0), Verdict(True, 3, 1_200_000, 0)]
    before = time.time()
    headers = dict(limit_headers(policy_set(), verdicts, unix_reset=True))
    after = time.time()
    # The Unix second at or after the reset.
    assert before + 1200 <= int(headers[b"x-ratelimit-reset"]) <= math.ceil(after + 1200)
    assert headers[b"ratelimit"] == b'"burst";r=7;t=19, "hourly";r=3;t=1200'


def test_retry_after_is_never_later_than_the_refusing_policys_reset() -> None:
    # yourcompany (seed 002), 100/h: all 100 used 10 min into the window. The sliding window
    # admits the 101st 36 s after the window ends (the old window still weighs 99.x), so its
    # reset is then, not at the window's end (which would send the client into another 429).
    verdicts = [Verdict(True, 9, 6_000, 0), Verdict(False, 0, 3_000_000, 3_036_000)]
    headers = dict(limit_headers(policy_set(), verdicts))
    wait = retry_after(verdicts)
    assert wait == 3036
    assert int(headers[b"x-ratelimit-reset"]) == 3036
    assert headers[b"ratelimit"] == b'"burst";r=9;t=6, "hourly";r=0;t=3036'
    now = time.time()
    unix = int(dict(limit_headers(policy_set(), verdicts, unix_reset=True))[b"x-ratelimit-reset"])
    assert now + wait <= unix <= math.ceil(time.time() + wait)
    # A refusal whose wait ends before the window does keeps the window's end as its reset.
    burst = [Verdict(False, 0, 60_000, 5_500), Verdict(True, 50, 1_200_000, 0)]
    assert dict(limit_headers(policy_set(), burst))[b"x-ratelimit-reset"] == b"60"
    assert retry_after(burst) == 6


def test_rejecting_policy_with_the_longest_wait_is_the_tightest() -> None:
    verdicts = [Verdict(False, 0, 60_000, 5_500), Verdict(False, 0, 10, 90_000)]
    assert tightest(verdicts) == 1
    assert retry_after(verdicts) == 90
    assert retry_after([Verdict(False, 0, 0, 1)]) == 1
    assert retry_after([Verdict(False, 0, 0, -1), Verdict(False, 0, 0, 5)]) is None


def test_breaker_opens_probes_and_closes(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(0.0)
    stats = RateLimitStats()
    breaker = CircuitBreaker(stats, failures=2, cooldown=1.0, clock=clock, backend_name="redis")
    caplog.set_level(logging.DEBUG, "specway.ratelimit")
    assert breaker.allow()
    breaker.failure("ConnectionError")
    assert breaker.state == "closed"
    breaker.failure("ConnectionError")
    assert breaker.state == "open"
    assert not breaker.allow()
    clock.advance(1.0)
    assert breaker.allow()  # the probe
    assert breaker.state == "half_open"
    assert not breaker.allow()  # only one probe at a time
    breaker.failure("ConnectionError")
    assert breaker.state == "open"
    assert not breaker.allow()
    clock.advance(1.0)
    assert breaker.allow()
    breaker.success()
    assert breaker.state == "closed"
    assert breaker.allow()
    assert (stats.breaker_opened, stats.breaker_half_opened, stats.breaker_closed) == (2, 2, 1)
    assert stats.backend_errors == 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2  # opened once, closed once: the failed probe is the same outage
    assert "circuit open" in warnings[0]
    assert "circuit closed" in warnings[1]


def test_a_lost_probe_expires_after_a_cooldown() -> None:
    clock = FakeClock(0.0)
    breaker = CircuitBreaker(RateLimitStats(), failures=1, cooldown=1.0, clock=clock)
    breaker.failure("x")
    clock.advance(1.0)
    assert breaker.allow()  # a probe whose request is then cancelled
    assert not breaker.allow()
    clock.advance(1.0)
    assert breaker.allow()


class BrokenBackend:
    name = "broken"

    def __init__(self) -> None:
        self.calls = 0

    async def hit(self, checks: Sequence[PolicyCheck], cost: int) -> list[Verdict]:
        self.calls += 1
        raise StorageError("rate-limit backend failed: ConnectionError")

    async def ping(self) -> None:
        raise StorageError("down")

    async def close(self) -> None:
        return None


@pytest.mark.anyio
async def test_limiter_failure_modes_and_counters() -> None:
    backend = BrokenBackend()
    clock = FakeClock(0.0)
    stats = RateLimitStats()
    limiter = RateLimiter(
        backend, stats=stats, breaker=CircuitBreaker(stats, failures=2, cooldown=5, clock=clock)
    )
    checks = [PolicyCheck("k", GCRA, 1, 1000)]
    outcomes = [await limiter.check(checks, ["burst"], 1, "open") for _ in range(3)]
    assert [o.kind for o in outcomes] == ["failed_open"] * 3
    assert all(o.admitted for o in outcomes)
    closed = await limiter.check(checks, ["burst"], 1, "closed")
    assert closed.kind == "failed_closed"
    assert not closed.admitted
    assert backend.calls == 2  # the open circuit spares the dead backend
    assert stats.snapshot()["failed_open"] == 3
    assert stats.failed_closed == 1
    assert stats.breaker_state == "open"


@pytest.mark.anyio
async def test_limiter_counts_decisions_per_policy() -> None:
    limiter = RateLimiter(MemoryBackend(clock=FakeClock()))
    checks = [PolicyCheck("a", GCRA, 1, 60_000), PolicyCheck("b", GCRA, 5, 60_000)]
    kinds = [(await limiter.check(checks, ["one", "five"], 1, "open")).kind for _ in range(3)]
    assert kinds == ["allowed", "rejected", "rejected"]
    assert limiter.stats.allowed == 1
    assert limiter.stats.rejected == 2
    assert limiter.stats.rejected_by_policy == {"one": 2}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_headers_policy_is_described_until_a_policy_refuses() -> None:
    policies = (RateLimitPolicy("burst", 10, 60), RateLimitPolicy("hourly", 100, 3600))
    named = PolicySet.of(policies, headline="hourly")
    calm = [Verdict(True, 7, 18_001, 0), Verdict(True, 96, 1_200_000, 0)]
    assert dict(limit_headers(named, calm))[b"x-ratelimit-limit"] == b"100"
    assert dict(limit_headers(PolicySet.of(policies), calm))[b"x-ratelimit-limit"] == b"10"
    refused = [Verdict(False, 0, 6_000, 6_000), Verdict(True, 90, 1_200_000, 0)]
    assert dict(limit_headers(named, refused))[b"x-ratelimit-limit"] == b"10"
    assert PolicySet.of(policies, headline="unknown").headline is None
