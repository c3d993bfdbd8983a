"""``Principal``: who is calling. Set by the auth plugin, read by every later stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from specway.types import SCOPE_PRINCIPAL, SCOPE_REFUSED_PRINCIPAL, Scope


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: an API key or a user session, acting in one organisation.

    A test-mode key (``test_mode``) of an isolated sandbox acts in the sandbox twin of its
    organisation: ``organization_id`` is the twin's id, so every tenant-scoped query keeps its
    data apart from live data, and ``live_organization_id`` names the organisation the key
    belongs to (``None`` for every live principal).
    """

    kind: Literal["api_key", "session"]
    id: str
    organization_id: str | None
    user_id: str | None = None
    role: str = "member"
    scopes: frozenset[str] = frozenset()
    tier: str | None = None
    key_id: str | None = None
    test_mode: bool = False
    live_organization_id: str | None = None

    @property
    def account_id(self) -> str | None:
        """The live organisation this caller belongs to, in either mode."""
        return self.live_organization_id or self.organization_id


def principal_from_scope(scope: Scope) -> Principal | None:
    """The principal of this request, or ``None`` (anonymous or before authentication)."""
    found = scope.get(SCOPE_PRINCIPAL)
    if isinstance(found, Principal):
        return found
    ctx = (scope.get("extensions") or {}).get("connexion_context") or {}
    info: Any = ctx.get("token_info")
    if isinstance(info, Principal):
        return info
    nested = info.get("principal") if isinstance(info, dict) else None
    return nested if isinstance(nested, Principal) else None


def refused_principal(scope: Scope) -> Principal | None:
    """Who presented a valid credential that was refused with 403 (scope, IP), else ``None``.

    Never the request's principal: only for recording the refusal.
    """
    found = scope.get(SCOPE_REFUSED_PRINCIPAL)
    return found if isinstance(found, Principal) else None
