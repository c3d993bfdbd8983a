"""Benchmark servers serve variants of the reference spec written into a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def write_reference_variant(document: dict[str, Any], path: Path) -> Path:
    """Write ``document`` (a changed copy of the reference spec) to ``path``.

    Written elsewhere, the variant keeps the reference project's code and tables: its handlers
    package and migrations are named by path (specway never falls back to another package).
    """
    document = {
        **document,
        "x-specway-handlers": str(ROOT / "handlers"),
        "x-specway-migrations": str(ROOT / "migrations"),
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path
