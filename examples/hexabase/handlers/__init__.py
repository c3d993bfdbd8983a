"""Hexabase.AI's handlers: the reference API's handlers and services, re-exported per tag.

Hexabase's conventions (``/v1``, ``hks_live_`` keys, ``data``/``pagination``/``links`` lists,
UPPERCASE error codes, versioning by ``Accept: application/vnd.hexabase.v1+json``) are all
configuration in ``examples/hexabase/openapi.yaml``. Only ``Webhooks`` adds a thin mapping:
the seed registers an endpoint for a ``workspace_id``.
"""

from __future__ import annotations

from handlers import install

__all__ = ["install"]
