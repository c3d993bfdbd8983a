"""The public plugin API: everything a third-party plugin needs, from one module.

A plugin imports from here and nowhere else in specway (and never from Connexion)::

    from specway.plugins.api import AppBuilder, Forbidden, Scope, SpecwayPlugin, Stage, send_error

========================  ===================================================================
the contract              :class:`SpecwayPlugin` (base class), :class:`Plugin` (protocol),
                          :class:`AppBuilder` (what ``install`` gets), :class:`Stage`
ASGI types                ``ASGIApp``, ``Scope``, ``Receive``, ``Send``, ``Message``
answering in the spec's   :func:`send_error` (pure ASGI, any stage) or raise an
error envelope            :class:`APIError` subclass (stages inside Connexion's exception
                          handling: every ``Stage`` but ``RESPONSES``)
the request               :func:`principal`, :func:`operation`, :func:`operation_id`,
                          :func:`client_ip`, :func:`request_id`, :func:`header`
counters                  :func:`counter`, :func:`histogram`: Prometheus metrics served on
                          specway's ``/metrics``
configuration             :class:`SpecModel`, :class:`OperationModel`, :class:`Settings`,
                          :class:`ConfigError` (refuse to start)
========================  ===================================================================

The guide is ``docs/plugins.md``; ``examples/plugins/ip-allowlist`` is a complete plugin.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from prometheus_client import Counter, Histogram

from specway.builder import AppBuilder
from specway.errors import (
    APIError,
    BadRequest,
    ConfigError,
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    Unauthorized,
)
from specway.plugins.base import Plugin, SpecwayPlugin
from specway.plugins.errors.envelope import ErrorBody
from specway.plugins.errors.envelope import send_error as _send_error
from specway.plugins.metrics.counters import LATENCY_BUCKETS, REGISTRY
from specway.principal import Principal, principal_from_scope
from specway.settings import Settings
from specway.spec import ErrorsConfig, OperationModel, SpecModel
from specway.spec.plugin_names import ExtensionLevel
from specway.stages import Stage
from specway.state import AppState
from specway.types import (
    SCOPE_CLIENT_IP,
    SCOPE_REQUEST_ID,
    SCOPE_STATE,
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
)
from specway.types import header as _header
from specway.types import operation_id as _operation_id

if TYPE_CHECKING:
    from specway.plugins.ratelimit.client_ip import ClientIPResolver

__all__ = [
    "APIError",
    "ASGIApp",
    "AppBuilder",
    "BadRequest",
    "ConfigError",
    "Conflict",
    "ExtensionLevel",
    "Forbidden",
    "Message",
    "NotFound",
    "OperationModel",
    "Plugin",
    "Principal",
    "RateLimited",
    "Receive",
    "Scope",
    "Send",
    "ServiceUnavailable",
    "Settings",
    "SpecModel",
    "SpecwayPlugin",
    "Stage",
    "Unauthorized",
    "client_ip",
    "counter",
    "header",
    "histogram",
    "operation",
    "operation_id",
    "principal",
    "request_id",
    "send_error",
]


def _state(scope: Scope) -> AppState | None:
    found = scope.get(SCOPE_STATE)
    return found if isinstance(found, AppState) else None


async def send_error(scope: Scope, send: Send, error: APIError) -> None:
    """Answer the request with ``error`` in the spec's error envelope (``x-specway-errors``).

    The status, code, message, details and headers are ``error``'s; the request id is the
    request's. Works at any stage and in an outer wrapper: the response is sent in full here,
    so the middleware returns without calling the app it wraps.
    """
    state = _state(scope)
    errors = state.spec.errors if state is not None else ErrorsConfig()
    body = ErrorBody(error.status, error.code, error.message, error.details, request_id(scope))
    await _send_error(send, errors, body, error.headers or None)


def request_id(scope: Scope) -> str:
    """The request's id (``X-Request-ID``), or ``""`` outside an HTTP request."""
    return str(scope.get(SCOPE_REQUEST_ID, ""))


def principal(scope: Scope) -> Principal | None:
    """Who is calling: set once the caller is authenticated (``Stage.AUTHENTICATED`` and
    inward); ``None`` for anonymous calls, public operations and earlier stages."""
    return principal_from_scope(scope)


def operation_id(scope: Scope) -> str | None:
    """The matched operationId (``Stage.ROUTED`` and inward), else ``None``."""
    return _operation_id(scope)


def operation(scope: Scope) -> OperationModel | None:
    """The matched operation's model (``Stage.ROUTED`` and inward), else ``None``."""
    op_id = _operation_id(scope)
    state = _state(scope)
    if op_id is None or state is None:
        return None
    return state.spec.operations.get(op_id)


def client_ip(scope: Scope) -> str:
    """The caller's IP address: the socket peer, or the ``X-Forwarded-For`` hop after the
    proxies ``SPECWAY_TRUSTED_PROXIES`` trusts. Computed once per request."""
    found = scope.get(SCOPE_CLIENT_IP)
    if isinstance(found, str):
        return found
    state = _state(scope)
    proxies = tuple(state.settings.trusted_proxies) if state is not None else ()
    return _resolver(proxies)(scope)


@functools.cache
def _resolver(trusted_proxies: tuple[str, ...]) -> ClientIPResolver:
    # Imported here: the resolver lives with the ratelimit plugin, whose package is heavier.
    from specway.plugins.ratelimit.client_ip import ClientIPResolver

    return ClientIPResolver(trusted_proxies)


def header(scope: Scope, name: str) -> str | None:
    """The first value of request header ``name`` (any case), or ``None``."""
    raw = _header(scope, name.lower().encode("latin-1"))
    return raw.decode("latin-1") if raw is not None else None


_METRICS: dict[str, Counter | Histogram] = {}


def counter(name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
    """A Prometheus counter exposed on specway's ``/metrics`` (``name`` + ``_total``).

    Asking again for the same name returns the same counter (apps built twice in a process
    share it); the same name with other labels or another kind is a ``ConfigError``. Keep
    label values bounded: names from the spec or a short fixed list, never request data.
    """
    found = _known(name, Counter, labelnames)
    if found is not None:
        return found
    try:
        made = Counter(name, documentation, list(labelnames), registry=REGISTRY)
    except ValueError as exc:  # a name specway's own metrics use
        raise ConfigError(f"metric {name!r}: {exc}") from None
    _METRICS[name] = made
    return made


def histogram(
    name: str,
    documentation: str,
    labelnames: Sequence[str] = (),
    buckets: Sequence[float] = LATENCY_BUCKETS,
) -> Histogram:
    """A Prometheus histogram exposed on ``/metrics`` (default buckets: seconds, 1 ms-10 s)."""
    found = _known(name, Histogram, labelnames)
    if found is not None:
        return found
    try:
        made = Histogram(name, documentation, list(labelnames), buckets=buckets, registry=REGISTRY)
    except ValueError as exc:
        raise ConfigError(f"metric {name!r}: {exc}") from None
    _METRICS[name] = made
    return made


_Metric = TypeVar("_Metric", Counter, Histogram)


def _known(name: str, kind: type[_Metric], labelnames: Sequence[str]) -> _Metric | None:
    found = _METRICS.get(name)
    if found is None:
        return None
    if isinstance(found, kind) and tuple(found._labelnames) == tuple(labelnames):
        return found
    raise ConfigError(
        f"metric {name!r} already exists as a {type(found).__name__} with labels "
        f"{list(found._labelnames)}"
    )
