"""``AppBuilder``: what plugins add to an app before it is built.

A plugin's ``install(builder)`` registers middleware at a named Connexion position, outer ASGI
wrappers, error handlers, security handlers, validators, extra routes and lifespan hooks. The app
factory then builds the Connexion app once, with everything in the registry's order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connexion.middleware import MiddlewarePosition

from specway.state import AppState, Hook
from specway.types import ASGIApp


@dataclass(slots=True)
class MiddlewareSpec:
    cls: Callable[..., ASGIApp]
    position: MiddlewarePosition | None
    options: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ExtraRoute:
    """A plain route outside the spec (``/metrics``, ``/docs``): no auth, no rate limit."""

    path: str
    name: str
    endpoint: Callable[..., Any]
    methods: tuple[str, ...] = ("GET",)


@dataclass(slots=True)
class AppBuilder:
    """Collects what plugins install; consumed by :func:`specway.app.create_app`."""

    state: AppState
    middlewares: list[MiddlewareSpec] = field(default_factory=list)
    outer: list[MiddlewareSpec] = field(default_factory=list)
    error_handlers: list[tuple[type[Exception] | int, Callable[..., Any]]] = field(
        default_factory=list
    )
    security_map: dict[str, Any] = field(default_factory=dict)
    validator_map: dict[str, Any] = field(default_factory=dict)
    routes: list[ExtraRoute] = field(default_factory=list)
    startup: list[Hook] = field(default_factory=list)
    shutdown: list[Hook] = field(default_factory=list)
    spec_overrides: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)

    def add_middleware(
        self, cls: Callable[..., ASGIApp], position: MiddlewarePosition, **options: Any
    ) -> None:
        """Insert a pure ASGI middleware before Connexion stage ``position``.

        Middlewares added at the same position keep the order they were added in (outermost
        first).
        """
        self.middlewares.append(MiddlewareSpec(cls, position, options))

    def wrap(self, cls: Callable[..., ASGIApp], **options: Any) -> None:
        """Wrap the whole Connexion app (outside its error handling); first added is outermost."""
        self.outer.append(MiddlewareSpec(cls, None, options))

    def add_error_handler(self, exc: type[Exception] | int, handler: Callable[..., Any]) -> None:
        self.error_handlers.append((exc, handler))

    def on_startup(self, hook: Hook) -> None:
        self.startup.append(hook)

    def on_shutdown(self, hook: Hook) -> None:
        self.shutdown.append(hook)
