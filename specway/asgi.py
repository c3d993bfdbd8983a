"""ASGI entry point for uvicorn workers: ``specway.asgi:build`` (a factory)."""

from __future__ import annotations

from specway.app import SpecwayApp, create_app
from specway.settings import Settings


def build() -> SpecwayApp:
    """Build the app from ``SPECWAY_*`` settings (``SPECWAY_SPEC_PATH`` names the spec)."""
    return create_app(settings=Settings.from_env())
