"""Fixtures for codegen tests: the fixture specs and a writer for ad-hoc bad specs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ROOT = FIXTURES.parent.parent
GOLDEN_SCENARIOS = (
    "minimal",
    "reference",
    "errors-flat",
    "errors-problem",
    "errors-status-wrapped",
    "schemas",
)


def minimal_document(**paths: Any) -> dict[str, Any]:
    """A valid one-operation document to break in tests."""
    doc: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "1"},
        "paths": {
            "/things": {
                "get": {
                    "operationId": "listThings",
                    "tags": ["Things"],
                    "summary": "List things",
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    doc["paths"].update(paths)
    return doc


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    def write(document: dict[str, Any]) -> Path:
        path = tmp_path / "openapi.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        return path

    return write
