"""The middleware on its own, around a tiny inline ASGI app, with principals in the scope.

The auth plugin is not needed: a scope carrying ``specway.principal`` is what it leaves behind.
Every test runs on the memory backend and on Redis.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from rl_support import SCENARIOS, BackendCase

from specway.plugins.ratelimit.client_ip import ClientIPResolver
from specway.plugins.ratelimit.limiter import RateLimiter
from specway.plugins.ratelimit.middleware import RateLimitMiddleware
from specway.plugins.ratelimit.plan import compile_plans
from specway.principal import Principal
from specway.spec import ErrorsConfig, load_model
from specway.types import SCOPE_CLIENT_IP, SCOPE_PRINCIPAL, Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio
PLANS = compile_plans(load_model(SCENARIOS))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Downstream:
    """The app behind the middleware: answers 200 and remembers the bodies it read."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


class Harness:
    def __init__(self, case: BackendCase, errors: ErrorsConfig | None = None) -> None:
        self.downstream = Downstream()
        self.limiter = RateLimiter(case.backend())
        self.middleware = RateLimitMiddleware(
            self.downstream,
            plans=PLANS,
            limiter=self.limiter,
            client_ip=ClientIPResolver(()),
            errors=errors or ErrorsConfig(),
            key_prefix=case.settings.get("ratelimit_key_prefix", "t:"),
        )

    async def call(
        self,
        operation: str,
        principal: Principal | None = None,
        body: Any = None,
        ip: str = "192.0.2.10",
        chunks: int = 1,
    ) -> tuple[int, dict[str, str], Any]:
        raw = orjson.dumps(body) if body is not None else b""
        scope: Scope = {
            "type": "http",
            "method": "POST" if body is not None else "GET",
            "path": "/x",
            "headers": [(b"content-type", b"application/json")],
            "query_string": b"",
            "client": (ip, 40000),
            "extensions": {"connexion_routing": {"operation_id": operation}},
            "specway.request_id": "req_test",
        }
        if principal is not None:
            scope[SCOPE_PRINCIPAL] = principal
        size = max(1, -(-len(raw) // chunks))
        parts = [raw[i : i + size] for i in range(0, len(raw), size)] or [b""]
        messages = [
            {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
            for i, part in enumerate(parts)
        ]

        async def receive() -> Message:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        await self.middleware(scope, receive, send)
        assert scope[SCOPE_CLIENT_IP] == ip
        start = sent[0]
        headers = {k.decode(): v.decode() for k, v in start["headers"]}
        payload = b"".join(m.get("body", b"") for m in sent[1:])
        decoded = orjson.loads(payload) if payload.startswith(b"{") else payload
        return start["status"], headers, decoded


def key(tier: str | None, key_id: str = "key_1") -> Principal:
    return Principal(kind="api_key", id=key_id, organization_id="org_1", key_id=key_id, tier=tier)


async def test_tiers_and_anonymous_get_their_own_limits(backend_case: BackendCase) -> None:
    h = Harness(backend_case)
    status, headers, _ = await h.call("listItems", key("pro", "key_pro"))
    assert status == 200
    assert headers["ratelimit-policy"] == '"burst";q=40;w=3600, "hourly";q=100;w=3600'
    assert headers["x-ratelimit-limit"] == "40"
    assert headers["x-ratelimit-remaining"] == "39"
    status, headers, _ = await h.call("listItems", key("free", "key_free"))
    assert headers["ratelimit-policy"] == '"burst";q=20;w=3600, "hourly";q=30;w=3600'
    assert headers["x-ratelimit-remaining"] == "19"
    _, headers, _ = await h.call("listItems", key("no-such-tier", "key_other"))
    assert headers["x-ratelimit-limit"] == "20"  # unknown tier → default tier (free)
    _, headers, _ = await h.call("listItems", None)
    assert headers["ratelimit"].startswith('"burst";r=19;')


async def test_each_key_and_each_ip_has_its_own_counters(backend_case: BackendCase) -> None:
    h = Harness(backend_case)
    statuses = [(await h.call("listItems", key("free", "key_a")))[0] for _ in range(21)]
    assert statuses == [200] * 20 + [429]
    assert (await h.call("listItems", key("free", "key_b")))[0] == 200
    assert (await h.call("listItems", None, ip="192.0.2.10"))[0] == 200
    assert (await h.call("listItems", None, ip="192.0.2.11"))[0] == 200


async def test_exact_admission_under_concurrency(backend_case: BackendCase) -> None:
    h = Harness(backend_case)
    results = await asyncio.gather(*(h.call("listItems", key("free")) for _ in range(200)))
    statuses = [status for status, _, _ in results]
    assert statuses.count(200) == 20
    assert statuses.count(429) == 180
    assert len(h.downstream.bodies) == 20


async def test_headers_agree_with_admissions(backend_case: BackendCase) -> None:
    h = Harness(backend_case)
    seen: list[tuple[int, int]] = []
    for _ in range(24):
        status, headers, _ = await h.call("listItems", key("free"))
        seen.append((status, int(headers["x-ratelimit-remaining"])))
    assert seen[:20] == [(200, 19 - i) for i in range(20)]
    assert seen[20:] == [(429, 0)] * 4


async def test_429_envelope_and_retry_after(backend_case: BackendCase) -> None:
    h = Harness(backend_case)
    for _ in range(20):
        await h.call("listItems", None)
    status, headers, body = await h.call("listItems", None)
    assert status == 429
    assert 1 <= int(headers["retry-after"]) <= 180  # one unit back every 180 s
    error = body["error"]
    assert error["code"] == "rate_limited"
    assert error["request_id"] == "req_test"
    assert error["details"] == {
        "policy": "burst",
        "limit": 20,
        "window": 3600,
        "retry_after": int(headers["retry-after"]),
    }
    assert headers["x-ratelimit-limit"] == "20"
    assert headers["ratelimit"].startswith('"burst";r=0;')
    assert ";r=10;" in headers["ratelimit"]  # hourly: 30 - 20, the rejections cost nothing


async def test_problem_style_429(backend_case: BackendCase) -> None:
    h = Harness(backend_case, ErrorsConfig(style="problem"))
    for _ in range(20):
        await h.call("listItems", key("free"))
    status, headers, body = await h.call("listItems", key("free"))
    assert status == 429
    assert headers["content-type"] == "application/problem+json"
    assert body["status"] == 429
    assert body["details"]["policy"] == "burst"


async def test_login_is_limited_per_ip_and_email_and_the_body_still_arrives(
    backend_case: BackendCase,
) -> None:
    h = Harness(backend_case)
    body = {"email": "Ana@Example.com", "password": "x" * 5000}
    statuses = [(await h.call("login", None, body, chunks=3))[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert h.downstream.bodies == [orjson.dumps(body)] * 3
    _, headers, _ = await h.call("login", None, {"email": "bob@example.com"})
    assert '"login";r=2;' in headers["ratelimit"]
    status, _, _ = await h.call("login", None, {"email": "ana@example.com"}, ip="192.0.2.99")
    assert status == 200


async def test_batch_costs_its_length(backend_case: BackendCase) -> None:
    h = Harness(backend_case)
    status, headers, _ = await h.call("runBatch", None, {"operations": [{}] * 5})
    assert status == 200
    assert '"burst";r=15;' in headers["ratelimit"]
    assert '"hourly";r=25;' in headers["ratelimit"]
    status, headers, body = await h.call("runBatch", None, {"operations": [{}] * 25})
    assert status == 429
    assert "retry-after" not in headers  # never admissible: the cost exceeds the limit
    assert body["error"]["details"]["cost"] == 25
    assert body["error"]["details"]["retry_after"] is None
    status, headers, _ = await h.call("runBatch", None, b"not json".decode())
    assert status == 200  # unreadable cost counts 1; validation rejects it later
    assert '"burst";r=14;' in headers["ratelimit"]


async def test_unlimited_operations_and_other_scopes_pass_through(
    backend_case: BackendCase,
) -> None:
    h = Harness(backend_case)
    status, headers, _ = await h.call("getFree", None)
    assert status == 200
    assert not any(name.startswith(("x-ratelimit", "ratelimit")) for name in headers)
    called: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        called.append(scope["type"])

    h.middleware.app = app

    async def nothing() -> Message:
        return {}

    async def ignore(message: Message) -> None:
        return None

    await h.middleware({"type": "lifespan"}, nothing, ignore)
    await h.middleware({"type": "websocket", "extensions": {}}, nothing, ignore)
    assert called == ["lifespan", "websocket"]
