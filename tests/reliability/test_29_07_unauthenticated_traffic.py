"""Issue 29 item 7: unauthenticated traffic writes nothing and pays the anonymous limits.

Each 401 on ``/v1/projects/{any}/…`` used to record a project log line and a metrics bucket
(organisation ``''``): 300 requests made 300 rows, and none of them met a rate limit, because
the limiter runs after the security stage. Now a refused credential writes no project traffic
row, and every 401 is charged to the operation's anonymous limits (50 a minute per IP in the
reference spec), after which the client gets 429 with ``Retry-After`` instead.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable

from sqlalchemy import func, select
from starlette.testclient import TestClient

from specway.app import load_spec
from specway.plugins.auth.keys import KeyFormat
from specway.plugins.project_metrics.models import log_lines, metric_buckets
from tests.conftest import REFERENCE_SPEC

REQUESTS = 300


def traffic_rows(client: TestClient) -> tuple[int, int]:
    """(metric buckets, log lines) in the database, after flushing what is buffered."""
    state = client.app.state  # type: ignore[attr-defined]

    async def count() -> tuple[int, int]:
        await state.services["project_metrics"].flush()
        async with state.database.session() as session:
            buckets = await session.execute(select(func.count()).select_from(metric_buckets))
            lines = await session.execute(select(func.count()).select_from(log_lines))
            return int(buckets.scalar_one()), int(lines.scalar_one())

    assert client.portal is not None
    return client.portal.call(count)


def test_refused_credentials_write_nothing_and_meet_the_anonymous_limit(
    app_factory: Callable[..., TestClient],
) -> None:
    burst = load_spec(REFERENCE_SPEC).ratelimit.anonymous[0]
    assert burst.name == "burst"
    client = app_factory()
    # Time stands still: a sliding window that moves while 300 requests run (a slow machine, a
    # window boundary) admits one more and makes the count a matter of timing.
    limiter = client.app.state.services["ratelimit"]  # type: ignore[attr-defined]
    limiter.backend.clock = lambda: 1_800_000_000.0
    unknown_key = {"Authorization": f"Bearer {KeyFormat().generate()}"}
    statuses: Counter[int] = Counter()
    last = None
    for n in range(REQUESTS):
        headers = unknown_key if n % 2 else {"Authorization": f"Token {secrets.token_hex(20)}"}
        last = client.get(f"/v1/projects/prj_{n:04d}/environments", headers=headers)
        statuses[last.status_code] += 1

    assert traffic_rows(client) == (0, 0), "unauthenticated requests were written"
    assert statuses == {401: burst.limit, 429: REQUESTS - burst.limit}
    assert last is not None
    assert last.json()["error"]["code"] == "rate_limited"
    assert last.json()["error"]["details"]["policy"] == "burst"
    assert int(last.headers["Retry-After"]) >= 1
    assert "X-RateLimit-Limit" in last.headers


def test_authenticated_project_traffic_is_still_recorded(
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., object],
) -> None:
    client = app_factory()
    who = auth_factory(client)
    headers = who.headers  # type: ignore[attr-defined]
    project = client.post("/v1/projects", json={"name": "recorded"}, headers=headers).json()
    reply = client.get(f"/v1/projects/{project['id']}/environments", headers=headers)
    assert reply.status_code == 200
    buckets, lines = traffic_rows(client)
    assert buckets >= 1
    assert lines >= 1


def test_a_wrong_password_is_counted_once(app_factory: Callable[..., TestClient]) -> None:
    """A handler's own 401 (login) was already counted by the limiter: not charged twice."""
    login = load_spec(REFERENCE_SPEC).ratelimit.policies["login"].limit
    client = app_factory()
    body = {"email": "nobody@example.com", "password": "wrong-password-123"}
    statuses = [client.post("/v1/auth/login", json=body).status_code for _ in range(login + 1)]
    assert statuses == [401] * login + [429]
