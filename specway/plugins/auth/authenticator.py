"""Turn a presented credential into a :class:`~specway.principal.Principal`, or refuse it.

The hot path: shape checks (length, ASCII, prefix, checksum) before any hashing, one HMAC, one
cache lookup, then the per-request checks (expiry, IP allow-list) on the cached entry. Only a
cache miss touches the database. Every refusal is a 401 with ``WWW-Authenticate`` (or a 403 for
an IP outside the allow-list) whose message never contains the credential.
"""

from __future__ import annotations

import ipaddress
import time

from specway.errors import Forbidden, Unauthorized
from specway.plugins.auth.cache import CredentialCache, Network, ResolvedCredential
from specway.plugins.auth.hashing import CredentialHasher
from specway.plugins.auth.keys import KeyFormat
from specway.plugins.auth.lookup import load_api_key, load_session
from specway.plugins.auth.tokens import is_session_token
from specway.plugins.auth.usage import UsageRecorder
from specway.principal import Principal
from specway.spec.scopes import ScopeSet
from specway.storage.database import Database

# Longer than any credential we issue; longer input is refused before hashing.
MAX_CREDENTIAL_LENGTH = 200
REALM = "specway"


def unauthorized(
    message: str = "Authentication required", *, invalid: bool = False
) -> Unauthorized:
    """A 401 carrying the RFC 6750 challenge (``error="invalid_token"`` when one was sent)."""
    return Unauthorized(message, headers={"WWW-Authenticate": challenge(invalid=invalid)})


def challenge(*, invalid: bool = False) -> str:
    """The ``WWW-Authenticate`` value."""
    value = f'Bearer realm="{REALM}"'
    return value + ', error="invalid_token"' if invalid else value


class Authenticator:
    """Resolves API keys and session tokens through the cache, the database on a miss."""

    def __init__(
        self,
        *,
        database: Database,
        hasher: CredentialHasher,
        key_format: KeyFormat,
        cache: CredentialCache,
        usage: UsageRecorder,
        scopes: ScopeSet,
        default_tier: str | None = None,
        isolated_sandbox: bool = True,
    ) -> None:
        self.database = database
        self.hasher = hasher
        self.key_format = key_format
        self.cache = cache
        self.usage = usage
        self.default_tier = default_tier
        self.isolated_sandbox = isolated_sandbox
        self.scopes = scopes
        # False while the revocation backend cannot be read: then every request asks the
        # database, so a revocation is never missed.
        self.cache_trusted = True

    def kind_of(self, token: str) -> str:
        """``"api_key"`` or ``"session"`` by shape alone; 401 for anything else."""
        if not token or len(token) > MAX_CREDENTIAL_LENGTH or not token.isascii():
            raise unauthorized("Invalid credentials", invalid=True)
        if self.key_format.prefix_of(token) is not None:
            if not self.key_format.is_well_formed(token):
                raise unauthorized("Invalid API key", invalid=True)
            return "api_key"
        if is_session_token(token):
            return "session"
        raise unauthorized("Invalid credentials", invalid=True)

    async def authenticate(self, token: str, client_ip: str | None) -> Principal:
        """The principal ``token`` stands for, after expiry and IP checks."""
        return self.admit(await self.identify(token), client_ip)

    async def identify(self, token: str) -> ResolvedCredential:
        """The live credential ``token`` stands for (its principal is set); 401 otherwise.

        Checks shape, hash and expiry but not where the request comes from: see :meth:`admit`.
        """
        kind = self.kind_of(token)
        digest = self.hasher.digest(token)
        entry = self.cache.get(digest) if self.cache_trusted else None
        if entry is None:
            entry = await self._load(kind, token)
        if entry.principal is None or not self.hasher.matches(entry.digest, digest):
            raise unauthorized(
                "Invalid API key" if kind == "api_key" else "Invalid or expired session token",
                invalid=True,
            )
        if entry.expires_at is not None and entry.expires_at <= time.time():
            raise unauthorized("API key has expired", invalid=True)
        return entry

    def admit(self, entry: ResolvedCredential, client_ip: str | None) -> Principal:
        """The identified principal, if its IP allow-list admits ``client_ip`` (403 if not)."""
        principal = entry.principal
        if principal is None:  # identify() never returns such an entry
            raise unauthorized("Invalid credentials", invalid=True)
        if entry.networks and not _allowed(client_ip, entry.networks):
            raise Forbidden(
                "Requests from this IP address are not allowed for this API key",
                details={"reason": "ip_not_allowed"},
            )
        if entry.organization_networks and not _allowed(client_ip, entry.organization_networks):
            raise Forbidden(
                "Requests from this IP address are not allowed for this organization",
                details={"reason": "ip_not_allowed", "scope": "organization"},
            )
        self.usage.record(principal.kind, principal.id)
        return principal

    async def _load(self, kind: str, token: str) -> ResolvedCredential:
        generation = self.cache.generation
        digests = self.hasher.candidates(token)
        if kind == "api_key":
            entry = await load_api_key(
                self.database,
                digests,
                self.default_tier,
                self.scopes,
                isolated_sandbox=self.isolated_sandbox,
            )
        else:
            entry = await load_session(self.database, digests, self.default_tier, self.scopes)
        if self.cache_trusted:
            self.cache.put(entry, generation)
        return entry


def _allowed(client_ip: str | None, networks: tuple[Network, ...]) -> bool:
    if not client_ip:
        return False
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    return any(address in network for network in networks)
