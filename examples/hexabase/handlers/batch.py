"""``Batch``: the reference handler (paths relative to ``/v1``, as the seed shows)."""

from __future__ import annotations

from handlers.batch import execute_batch

__all__ = ["execute_batch"]
