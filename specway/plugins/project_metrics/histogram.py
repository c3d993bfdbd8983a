"""Fixed latency buckets: one counter column per bound, so buckets add up in SQL.

Percentiles are estimated from the counts the way Prometheus' ``histogram_quantile`` does:
find the bucket holding the q-th request and interpolate linearly inside it.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

# Upper bounds in milliseconds; a last, unbounded bucket catches everything slower.
BOUNDS_MS: tuple[float, ...] = (
    1,
    2.5,
    5,
    10,
    25,
    50,
    100,
    250,
    500,
    1000,
    2500,
    5000,
    10000,
)
COLUMNS: tuple[str, ...] = (
    *(f"le_{str(b).replace('.', '_')}" for b in BOUNDS_MS),
    "le_inf",
)


def bucket_index(latency_ms: float) -> int:
    """The index of the bucket (and column) that ``latency_ms`` falls into."""
    return bisect.bisect_left(BOUNDS_MS, latency_ms)


def quantile(q: float, counts: Sequence[int]) -> float | None:
    """Estimate the ``q`` quantile (0 < q < 1) from bucket ``counts``; ``None`` without data."""
    total = sum(counts)
    if total <= 0:
        return None
    rank = q * total
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            if index >= len(BOUNDS_MS):
                return float(BOUNDS_MS[-1])
            lower = BOUNDS_MS[index - 1] if index else 0.0
            upper = BOUNDS_MS[index]
            return round(lower + (upper - lower) * ((rank - seen) / count), 3)
        seen += count
    return float(BOUNDS_MS[-1])
