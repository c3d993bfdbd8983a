from __future__ import annotations

import importlib.util
from pathlib import Path

from specway.plugins.project_metrics.histogram import BOUNDS_MS, COLUMNS, bucket_index, quantile

MIGRATION = (
    Path(__file__).resolve().parents[3]
    / "specway/plugins/project_metrics/migrations/0006_project_metrics.py"
)


def test_bucket_index_edges() -> None:
    assert bucket_index(0.2) == 0
    assert bucket_index(1) == 0
    assert bucket_index(1.01) == 1
    assert bucket_index(10_000) == len(BOUNDS_MS) - 1
    assert bucket_index(60_000) == len(BOUNDS_MS)
    assert len(COLUMNS) == len(BOUNDS_MS) + 1


def test_quantiles_interpolate_within_the_bucket() -> None:
    counts = [0] * len(COLUMNS)
    assert quantile(0.5, counts) is None
    counts[bucket_index(7)] = 10  # ten requests in (5, 10]
    assert quantile(0.5, counts) == 7.5
    assert quantile(0.95, counts) == 9.75
    counts[bucket_index(40)] = 10  # ten more in (25, 50]
    assert quantile(0.5, counts) == 10.0
    assert quantile(0.95, counts) == 47.5
    counts[-1] = 100  # slower than the last bound: reported as that bound
    assert quantile(0.95, counts) == float(BOUNDS_MS[-1])


def test_migration_has_the_histogram_columns() -> None:
    spec = importlib.util.spec_from_file_location("migration_0006_project_metrics", MIGRATION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.HISTOGRAM == COLUMNS
    assert (module.revision, module.down_revision) == ("0006_project_metrics", None)
