"""Deployments' version rule (:func:`check_version`), and how deployments behave.

A deployment moves ``pending → in_progress → completed | failed``; the background
:class:`~handlers.services.deployment_runner.DeploymentRunner` moves it. Its ``config`` is the
project's active config merged with the requested changes (RFC 7396) at creation; on
completion that config becomes the project's active config. A rollback is a new deployment of
the most recent earlier *completed* deployment with another version, so it restores that
version's config too.

Handlers, the runner and examples/hexabase's deploy use
:class:`handlers.services.deployment_store.DeploymentStore`; this module keeps the version
rule they share (:func:`check_version`).
"""

from __future__ import annotations

import re

from specway.errors import BadRequest

# Semantic Versioning 2.0.0, with an optional leading "v" (the seed's "v1.0.0").
SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


def check_version(version: str) -> str:
    """``version`` when it is a semantic version; 400 naming ``version`` otherwise."""
    if not SEMVER.match(version):
        raise BadRequest(
            f"Invalid 'version': {version!r} is not a semantic version (e.g. v1.0.0 or 1.0.0)",
            details=[{"field": "version", "in": "body", "reason": "not a semantic version"}],
        )
    return version
