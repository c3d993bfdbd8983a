"""The scopes an API's keys can hold, and what each organisation role may use: from the spec.

The scope names are the spec's own: the list ``x-specway-auth.scopes`` declares, else every
scope the operations' ``security`` requirements name, in the order they first appear (so a spec
that requires ``books:read`` and ``books:write`` has exactly those). ``keys generate --scope``,
``POST …/api-keys`` and the auth plugin check against this set.

Roles cap what a key or session may use. ``x-specway-auth.roles`` maps a role (``admin``,
``member``, ``viewer``) to its scopes (``"*"``: all of them); by default an admin holds every
scope, a member every scope but the admin ones (``admin``, ``*:admin``), a viewer only the read
ones (``read``, ``*:read``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from specway.spec.methods import HTTP_METHODS

ROLES: tuple[str, ...] = ("admin", "member", "viewer")


@dataclass(frozen=True, slots=True)
class ScopeSet:
    """The valid scope names, in order, and each role's share of them."""

    names: tuple[str, ...] = ()
    roles: Mapping[str, frozenset[str]] = field(default_factory=dict)
    declared: bool = False

    def unknown(self, given: Iterable[str]) -> list[str]:
        """The names in ``given`` that are not scopes of this API, sorted."""
        return sorted(set(given) - set(self.names))

    def ordered(self, given: Iterable[str]) -> list[str]:
        """``given`` (all valid) de-duplicated, in the API's order."""
        wanted = set(given)
        return [name for name in self.names if name in wanted]

    def for_role(self, role: str, granted: frozenset[str] | None = None) -> frozenset[str]:
        """Scopes ``role`` may use, intersected with ``granted`` (a key's own) when given."""
        allowed = self.roles.get(role, frozenset())
        return allowed if granted is None else allowed & granted

    def listing(self) -> str:
        return ", ".join(self.names) if self.names else "(none: no operation requires a scope)"


def _is(name: str, verb: str) -> bool:
    return name == verb or name.endswith(f":{verb}")


def default_roles(names: tuple[str, ...]) -> dict[str, frozenset[str]]:
    every = frozenset(names)
    return {
        "admin": every,
        "member": frozenset(n for n in names if not _is(n, "admin")),
        "viewer": frozenset(n for n in names if _is(n, "read")),
    }


def required_scopes(document: Mapping[str, Any]) -> list[str]:
    """Every scope an operation's ``security`` names, in first-appearance order."""
    seen: dict[str, None] = {}
    requirements: list[Any] = list(document.get("security") or [])
    for item in (document.get("paths") or {}).values():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                requirements.extend(op.get("security") or [])
    for requirement in requirements:
        if isinstance(requirement, dict):
            for scopes in requirement.values():
                for scope in scopes if isinstance(scopes, list) else ():
                    seen.setdefault(str(scope), None)
    return list(seen)


def scope_set(document: Mapping[str, Any]) -> ScopeSet:
    """The document's :class:`ScopeSet` (see the module docstring)."""
    auth = document.get("x-specway-auth")
    auth = auth if isinstance(auth, dict) else {}
    declared = auth.get("scopes")
    if isinstance(declared, list) and declared:
        names = tuple(dict.fromkeys(str(s) for s in declared))
    elif isinstance(declared, dict) and declared:
        names = tuple(str(s) for s in declared)
    else:
        names, declared = tuple(required_scopes(document)), None
    roles = default_roles(names)
    for role, value in (auth.get("roles") or {}).items():
        if value == "*":
            roles[str(role)] = frozenset(names)
        elif isinstance(value, list):
            roles[str(role)] = frozenset(str(s) for s in value if s in names)
    return ScopeSet(names, roles, declared=declared is not None)
