"""Organisation roles and the scopes each grants.

A session acts with its user's role in the session's organisation. An API key acts with its
creator's role, capped by the key's own scopes (a key made from the CLI has no creator and acts
as ``admin`` capped by its scopes).
"""

from __future__ import annotations

from typing import Literal

Role = Literal["admin", "member", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "member", "viewer")
SCOPES: tuple[str, ...] = ("read", "write", "delete", "admin")

ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset({"read", "write", "delete", "admin"}),
    "member": frozenset({"read", "write", "delete"}),
    "viewer": frozenset({"read"}),
}


def scopes_for(role: str, granted: frozenset[str] | None = None) -> frozenset[str]:
    """Scopes of ``role``, intersected with ``granted`` (a key's own scopes) when given."""
    allowed = ROLE_SCOPES.get(role, frozenset())
    return allowed if granted is None else allowed & granted
