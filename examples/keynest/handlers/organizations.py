"""``Organizations``: list, create and get, as in the reference API."""

from __future__ import annotations

from specway.parts.organizations.handlers import (
    create_organization,
    get_organization,
    list_organizations,
)

__all__ = ["create_organization", "get_organization", "list_organizations"]
