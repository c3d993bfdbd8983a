"""``Allowlist``: one operation's rule, compiled once from ``x-ipallow`` at startup."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from specway.plugins.api import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a caller may pass, and which list decided (``none``: no list applies)."""

    allowed: bool
    list: Literal["default", "organization", "none", "exempt"]


def networks(raw: Sequence[Any], where: str) -> tuple[Network, ...]:
    """``raw`` CIDRs as networks; ``ConfigError`` naming the JSON pointer of a bad one."""
    out = []
    for index, cidr in enumerate(raw):
        try:
            out.append(ipaddress.ip_network(str(cidr).strip(), strict=False))
        except ValueError:
            raise ConfigError(
                f"{where}/{index}: {cidr!r} is not an IP network (use a CIDR such as "
                "203.0.113.0/24 or 2001:db8::/32)"
            ) from None
    return tuple(out)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True, slots=True)
class Allowlist:
    """``default`` for anonymous callers and organisations without a list of their own;
    ``organizations`` maps an organisation id to the list that replaces the default for it.
    ``default is None``: callers without a list of their own pass."""

    default: tuple[Network, ...] | None = None
    organizations: Mapping[str, tuple[Network, ...]] = field(default_factory=dict)
    exempt: bool = False

    @classmethod
    def of(cls, raw: Mapping[str, Any] | None, where: str) -> Allowlist:
        """Compile an ``x-ipallow`` value (already checked against :data:`SCHEMA`)."""
        raw = raw or {}
        default = raw.get("default")
        return cls(
            default=networks(default, f"{where}/default") if default is not None else None,
            organizations={
                str(org): networks(cidrs, f"{where}/organizations/{org}")
                for org, cidrs in (raw.get("organizations") or {}).items()
            },
            exempt=raw.get("exempt") is True,
        )

    def decide(self, ip: str, organization_id: str | None) -> Decision:
        """May a caller from ``ip`` (acting for ``organization_id``, if any) pass?"""
        if self.exempt:
            return Decision(True, "exempt")
        listed = self.organizations.get(organization_id) if organization_id else None
        which: Literal["default", "organization"] = "organization"
        if listed is None:
            if self.default is None:
                return Decision(True, "none")
            listed, which = self.default, "default"
        address = _address(ip)
        return Decision(address is not None and any(address in n for n in listed), which)
