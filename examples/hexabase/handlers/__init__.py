"""Hexabase.AI's handlers: the reference API's handlers and services, re-exported per tag.

Hexabase's conventions (``/v1``, ``hks_live_`` keys, ``data``/``pagination``/``links`` lists,
UPPERCASE error codes, versioning by ``Accept: application/vnd.hexabase.v1+json``) are all
configuration in ``examples/hexabase/openapi.yaml``. ``Webhooks`` adds a thin mapping (the
seed registers an endpoint for a ``workspace_id``); ``Metrics``, ``Alerts`` and ``projects.deploy``
are the example's own (:mod:`examples.hexabase.models`).
"""

from __future__ import annotations

from examples.hexabase import deployment_logs
from examples.hexabase.metric_samples import SERVICE, SampleFeed
from handlers import install as install_reference
from specway.builder import AppBuilder

__all__ = ["install"]


def install(builder: AppBuilder) -> None:
    """The reference handlers' services, plus the workload samples' live feed
    (:class:`~examples.hexabase.metric_samples.SampleFeed`, ``"hexabase_samples"``) and the
    deployments' log lines' (:class:`~examples.hexabase.deployment_logs.LogFeed`)."""
    install_reference(builder)
    builder.state.services[SERVICE] = SampleFeed()
    builder.state.services[deployment_logs.SERVICE] = deployment_logs.LogFeed()
