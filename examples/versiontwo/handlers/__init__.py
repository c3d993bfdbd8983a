"""VersionTwo's handlers: the reference API's handlers, re-exported per tag.

VersionTwo's conventions (keyed lists, nested errors, ``/v1``) are all configuration in
``examples/versiontwo/openapi.yaml``; the deployments runner is installed as in the reference.
"""

from __future__ import annotations

from handlers import install

__all__ = ["install"]
