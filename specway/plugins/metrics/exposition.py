"""Render the metrics in the Prometheus text format, for one process or all uvicorn workers.

In multiprocess mode (``PROMETHEUS_MULTIPROC_DIR`` set before prometheus-client was imported)
each worker writes its values to files in that directory; a scrape served by any worker reads
and sums all of them, so the answer does not depend on which worker the load balancer picked.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.exposition import choose_encoder

from specway.plugins.metrics.counters import REGISTRY

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

__all__ = ["MULTIPROC_ENV", "Exposition"]


class Exposition:
    """Produces the ``/metrics`` body; decides single- or multi-process once, at startup."""

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        if self.multiprocess:
            self.registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(self.registry)  # type: ignore[no-untyped-call]
        else:
            self.registry = REGISTRY

    def render(self, accept: str = "") -> tuple[bytes, str]:
        """``(body, content type)``: the classic text format (0.0.4) unless the scraper's
        ``Accept`` asks for OpenMetrics or a newer text format."""
        encoder, content_type = choose_encoder(accept)
        return encoder(self.registry), content_type
