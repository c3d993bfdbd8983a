"""``AppBuilder``: what plugins add to an app before it is built.

A plugin's ``install(builder)`` registers middleware at a named :class:`~specway.stages.Stage`,
outer ASGI wrappers, error handlers, security handlers, validators, extra routes and lifespan
hooks. The app factory then builds the Connexion app once, with everything in the registry's
order. The builder records which plugin added each layer (``owner``), so ``specway stack`` can
name it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from specway.stages import Stage
from specway.state import AppState, Hook
from specway.types import ASGIApp


@dataclass(slots=True)
class MiddlewareSpec:
    """One layer a plugin added: its class, stage (``None``: an outer wrapper) and owner."""

    cls: Callable[..., ASGIApp]
    stage: Stage | None
    options: dict[str, Any]
    owner: str = "specway"


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
    # Who is installing now: recorded on every layer added, for ``specway stack``.
    owner: str = "specway"

    @contextmanager
    def installing(self, owner: str) -> Iterator[None]:
        """Attribute the layers added inside the block to ``owner`` (a plugin's name)."""
        previous, self.owner = self.owner, owner
        try:
            yield
        finally:
            self.owner = previous

    def add_middleware(self, cls: Callable[..., ASGIApp], stage: Stage, **options: Any) -> None:
        """Insert a pure ASGI middleware at ``stage`` (just before its Connexion stage).

        Middlewares added at the same stage keep the order they were added in (outermost
        first).
        """
        if not isinstance(stage, Stage):
            raise TypeError(f"add_middleware wants a specway.stages.Stage, not {stage!r}")
        self.middlewares.append(MiddlewareSpec(cls, stage, options, self.owner))

    def wrap(self, cls: Callable[..., ASGIApp], **options: Any) -> None:
        """Wrap the whole Connexion app (outside its error handling); first added is outermost."""
        self.outer.append(MiddlewareSpec(cls, None, options, self.owner))

    def add_error_handler(self, exc: type[Exception] | int, handler: Callable[..., Any]) -> None:
        self.error_handlers.append((exc, handler))

    def on_startup(self, hook: Hook) -> None:
        self.startup.append(hook)

    def on_shutdown(self, hook: Hook) -> None:
        self.shutdown.append(hook)
