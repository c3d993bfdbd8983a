"""example.com's handlers: the reference API's handlers and services, re-exported per tag.

example.com's conventions (``data``/``meta`` lists, nested errors, ``/v1``) are all configuration
in ``examples/examplecom/openapi.yaml``; ``Users`` is a thin mapping onto the reference
registration and membership services.
"""

from __future__ import annotations

from handlers import install

__all__ = ["install"]
