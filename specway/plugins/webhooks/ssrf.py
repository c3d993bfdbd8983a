"""The SSRF guard: webhook URLs may only reach public addresses.

A URL is checked when a subscription is saved and every address its host resolves to is checked
again right before each connection (the sender then connects to exactly the address it checked,
so a DNS answer that changes in between — DNS rebinding — cannot slip through). Refused:
loopback, private (RFC 1918), link-local, CGNAT (100.64/10), multicast, reserved, unspecified,
unique-local (fc00::/7) and anything else not globally routable, including IPv4 addresses
embedded in IPv6 (mapped, 6to4, Teredo, NAT64). ``webhook_allowed_networks`` (CIDRs) are exempt;
plain ``http`` needs ``webhook_allow_http``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from specway.errors import ConfigError, SpecwayError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

MAX_URL_LENGTH = 2048
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURLError(SpecwayError):
    """A webhook URL that must not be called; ``reason`` says why, fit for a 400 message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (A and AAAA), via the event loop's resolver."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def parse_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """``webhook_allowed_networks`` as networks; ``ConfigError`` naming a bad entry."""
    found: list[Network] = []
    for cidr in cidrs:
        try:
            found.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError as exc:
            raise ConfigError(f"SPECWAY_WEBHOOK_ALLOWED_NETWORKS: {exc}") from None
    return tuple(found)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` is not a public unicast address, or ``None`` when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            reason = refusal(inner)
            return f"{reason} (embedded in {address})" if reason else None
    checks: tuple[tuple[bool, str], ...] = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT, "CGNAT"),
        (
            isinstance(address, ipaddress.IPv6Address)
            and address in ipaddress.IPv6Network("fc00::/7"),
            "unique-local",
        ),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (not address.is_global, "not globally routable"),
    )
    for refused, reason in checks:
        if refused:
            return reason
    return None


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL: its parts and the addresses it may be connected to."""

    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


class SSRFGuard:
    """Checks URLs and resolved addresses against the refusal rules and the allow-list."""

    def __init__(
        self,
        allowed_networks: Iterable[str] = (),
        *,
        allow_http: bool = False,
        resolver: Resolver = system_resolver,
        resolve_timeout: float = 5.0,
    ) -> None:
        self.allowed = parse_networks(allowed_networks)
        self.allow_http = allow_http
        self.resolver = resolver
        self.resolve_timeout = resolve_timeout

    def check_syntax(self, url: str) -> tuple[str, str, int]:
        """``(scheme, host, port)`` of a well-formed webhook URL, or :class:`UnsafeURLError`."""
        if len(url) > MAX_URL_LENGTH:
            raise UnsafeURLError(f"URL is longer than {MAX_URL_LENGTH} characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise UnsafeURLError(f"URL is not valid: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise UnsafeURLError("URL must use https (or http where allowed)")
        if scheme == "http" and not self.allow_http:
            raise UnsafeURLError("URL must use https")
        if not parts.hostname:
            raise UnsafeURLError("URL has no host")
        if parts.username is not None or parts.password is not None:
            raise UnsafeURLError("URL must not contain credentials")
        return scheme, parts.hostname, port or (443 if scheme == "https" else 80)

    def check_address(self, raw: str) -> None:
        """Raise :class:`UnsafeURLError` unless ``raw`` is public or allow-listed."""
        address = ipaddress.ip_address(raw.split("%", 1)[0])
        if any(address in network for network in self.allowed):
            return
        reason = refusal(address)
        if reason is not None:
            raise UnsafeURLError(f"URL resolves to a refused address ({reason}): {address}")

    async def resolve(self, url: str) -> Target:
        """Check ``url`` and every address its host resolves to; all must pass."""
        scheme, host, port = self.check_syntax(url)
        try:
            literal: IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                async with asyncio.timeout(self.resolve_timeout):
                    addresses = await self.resolver(host, port)
            except TimeoutError as exc:  # before OSError, its base class
                raise UnsafeURLError(f"URL host {host!r} did not resolve in time") from exc
            except (OSError, UnicodeError) as exc:
                raise UnsafeURLError(f"URL host {host!r} does not resolve") from exc
            if not addresses:
                raise UnsafeURLError(f"URL host {host!r} does not resolve")
        for address in addresses:
            self.check_address(address)
        return Target(scheme, host, port, tuple(addresses))
