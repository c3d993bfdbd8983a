"""The client's IP address: the peer, or ``X-Forwarded-For`` when the peer is a trusted proxy.

``X-Forwarded-For`` is read right to left: each hop appends the address it received the request
from, so the rightmost address that is not one of our proxies is the client. A spoofed header
from an untrusted peer is ignored entirely; a malformed entry ends the walk at the last good hop.
The result is stored in ``scope["specway.client_ip"]`` for every later stage (audit, handlers).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from specway.errors import ConfigError
from specway.types import SCOPE_CLIENT_IP, Scope

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class ClientIPResolver:
    """Resolves and caches the client IP of a request, trusting only the configured proxies."""

    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        networks: list[IPNetwork] = []
        for cidr in trusted_proxies:
            try:
                networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
            except ValueError:
                raise ConfigError(
                    f"SPECWAY_TRUSTED_PROXIES: {cidr!r} is not an IP network "
                    "(use CIDRs such as 10.0.0.0/8 or 127.0.0.1/32)"
                ) from None
        self.networks = tuple(networks)

    def trusted(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)

    def __call__(self, scope: Scope) -> str:
        """The client IP of ``scope`` (computed once per request, then read from the scope)."""
        found = scope.get(SCOPE_CLIENT_IP)
        if isinstance(found, str):
            return found
        ip = self._resolve(scope)
        scope[SCOPE_CLIENT_IP] = ip
        return ip

    def _resolve(self, scope: Scope) -> str:
        client = scope.get("client")
        peer_text = str(client[0]) if client else ""
        if not self.networks:
            return peer_text
        peer = _parse(peer_text)
        if peer is None or not self.trusted(peer):
            return peer_text
        hops: list[str] = []
        for name, value in scope.get("headers") or ():
            if name == b"x-forwarded-for":
                hops += [h.strip() for h in value.decode("latin-1").split(",")]
        current = peer
        for hop in reversed(hops):
            address = _parse(hop)
            if address is None:
                break
            current = address
            if not self.trusted(address):
                break
        return str(current)


def _parse(text: str) -> IPAddress | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[v6]:port"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "v4:port"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
