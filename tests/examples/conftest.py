"""Fixtures for the seed examples: a started app per example spec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.examples.support import example_spec


@pytest.fixture
def example_client(app_factory: Callable[..., TestClient]) -> Callable[[str], TestClient]:
    """A started client of ``examples/<name>/openapi.yaml``."""

    def make(name: str, **settings: Any) -> TestClient:
        spec = example_spec(name)
        return app_factory(spec, spec_path=str(spec), **settings)

    return make
