"""Fixtures of the third-party plugin tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugins.third_party.support import SitePackages


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SitePackages]:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    packages = SitePackages(root)
    yield packages
    for module in packages.modules:
        sys.modules.pop(module, None)
