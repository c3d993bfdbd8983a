"""Fixtures for the seed examples: a started app per example spec."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.examples.support import example_spec
from tests.plugins.webhooks.webhooks_support import Receiver


@pytest.fixture
def example_client(app_factory: Callable[..., TestClient]) -> Callable[[str], TestClient]:
    """A started client of ``examples/<name>/openapi.yaml``."""

    def make(name: str, **settings: Any) -> TestClient:
        spec = example_spec(name)
        return app_factory(spec, spec_path=str(spec), **settings)

    return make


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local HTTP receiver of webhook deliveries (127.0.0.1 is allow-listed in tests)."""
    found = Receiver()
    found.start()
    yield found
    found.stop()
