"""The Prometheus metrics specway keeps, and the small functions other plugins count with.

Metrics live in one module-level :data:`REGISTRY`, created once per process. With several
uvicorn workers, ``specway serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` before the workers start;
prometheus-client then keeps every value in a per-process file and the ``/metrics`` endpoint
sums them (see :mod:`plugins.metrics.exposition`). Other plugins call, e.g.::

    from specway.plugins.metrics import counters
    counters.ratelimit_decision("limited", policy="burst")
    counters.backend_error("redis", "ratelimit")

Label values come from the spec (operationIds, policy names) or from short fixed lists, never
from the request, so the number of series stays bounded.
"""

from __future__ import annotations

import functools

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

# Latency buckets in seconds: sub-millisecond gateway answers up to slow handlers.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# The operation label of requests that matched no operation (404s, /metrics itself).
UNMATCHED = "unmatched"

HTTP_REQUESTS = Counter(
    "specway_http_requests",
    "HTTP requests by operationId, method and response status.",
    ["operation", "method", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "specway_http_request_duration_seconds",
    "Time from the request reaching the gateway to the last response byte.",
    ["operation", "method"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
AUTH_FAILURES = Counter(
    "specway_auth_failures",
    "Requests refused for authentication (401) or authorisation (403).",
    ["operation", "reason"],
    registry=REGISTRY,
)
RATELIMIT_DECISIONS = Counter(
    "specway_ratelimit_decisions",
    "Rate-limit decisions: allowed, limited, or failed_open/failed_closed when Redis was down.",
    ["decision", "policy"],
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = Counter(
    "specway_webhook_deliveries",
    "Webhook delivery attempts by outcome (delivered, failed, retry_scheduled, disabled...).",
    ["outcome"],
    registry=REGISTRY,
)
BACKEND_ERRORS = Counter(
    "specway_backend_errors",
    "Failed calls to a backend (redis, database) by the component that made them.",
    ["backend", "component"],
    registry=REGISTRY,
)
IDEMPOTENCY = Counter(
    "specway_idempotency_requests",
    "Requests with an Idempotency-Key by outcome (stored, replayed, conflict, mismatch...).",
    ["outcome"],
    registry=REGISTRY,
)
AUDIT_EVENTS = Counter(
    "specway_audit_events",
    "Audit events by outcome: written to the database, or dropped (queue full, write failed).",
    ["outcome"],
    registry=REGISTRY,
)


# Each labelled child kept after its first use: ``labels()`` checks its arguments, builds the
# key and takes a lock on every call, which costs more than the increment. Label values are
# bounded (see above), and so are these caches.
_requests = functools.cache(HTTP_REQUESTS.labels)
_latency = functools.cache(HTTP_LATENCY.labels)
_auth_failures = functools.cache(AUTH_FAILURES.labels)
_ratelimit = functools.cache(RATELIMIT_DECISIONS.labels)
_webhooks = functools.cache(WEBHOOK_DELIVERIES.labels)
_backend_errors = functools.cache(BACKEND_ERRORS.labels)
_idempotency = functools.cache(IDEMPOTENCY.labels)
_audit = functools.cache(AUDIT_EVENTS.labels)


def request(operation: str | None, method: str, status: int, seconds: float) -> None:
    """Count one finished request and observe its latency."""
    op = operation or UNMATCHED
    _requests(op, method, str(status)).inc()
    _latency(op, method).observe(seconds)
    if status in (401, 403):
        _auth_failures(op, "unauthenticated" if status == 401 else "forbidden").inc()


def ratelimit_decision(decision: str, policy: str = "") -> None:
    """Count one rate-limit decision (``allowed``, ``limited``, ``failed_open``...)."""
    _ratelimit(decision, policy).inc()


def webhook_delivery(outcome: str) -> None:
    """Count one webhook delivery attempt by its outcome."""
    _webhooks(outcome).inc()


def backend_error(backend: str, component: str) -> None:
    """Count one failed backend call (``backend`` is ``redis`` or ``database``)."""
    _backend_errors(backend, component).inc()


def idempotency(outcome: str) -> None:
    """Count one request carrying an ``Idempotency-Key`` by what happened to it."""
    _idempotency(outcome).inc()


def audit_events(outcome: str, count: int = 1) -> None:
    """Count audit events ``written`` or ``dropped``."""
    _audit(outcome).inc(count)
