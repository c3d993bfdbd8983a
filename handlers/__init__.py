"""The reference API's operation handlers: one module per tag, thin; logic in ``services``.

:func:`install` is called by :func:`specway.app.create_app` after the plugins, so the handlers'
own background work (the deployments runner) gets services and lifespan hooks.
"""

from __future__ import annotations

from specway.builder import AppBuilder


def install(builder: AppBuilder) -> None:
    """Register the handlers' services and lifespan hooks on ``builder``."""
    from handlers import deployments_runtime

    deployments_runtime.install(builder)
