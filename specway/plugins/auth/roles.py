"""Organisation roles.

A session acts with its user's role in the session's organisation. An API key acts with its
creator's role, capped by the key's own scopes (a key made from the CLI has no creator and acts
as ``admin`` capped by its scopes). Which scopes exist and what each role may use is the spec's
(:class:`specway.spec.scopes.ScopeSet`, ``SpecModel.scopes``).
"""

from __future__ import annotations

from typing import Literal

Role = Literal["admin", "member", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "member", "viewer")
