"""Fixtures of the Go SDK tests: the ``go`` tool (skipped with a reason where it is missing)."""

from __future__ import annotations

import pytest
from go_support import go_binary


@pytest.fixture(scope="session")
def go() -> str:
    return go_binary()
