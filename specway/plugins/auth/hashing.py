"""Peppered HMAC-SHA256 of credentials (API keys, session tokens).

Credentials are high-entropy random strings, so a keyed hash is the right store: a stolen table
is useless without the pepper, and lookup stays one indexed equality query. The pepper is
derived (HKDF) from ``SPECWAY_SECRET_KEY``; hashes made with a previous secret key
(``SPECWAY_PREVIOUS_SECRET_KEYS``) are still found, so the secret can be rotated.
"""

from __future__ import annotations

import hashlib
import hmac

from specway.crypto import derive_key
from specway.settings import Settings

PURPOSE = "specway auth credential pepper v1"
SESSION_TOKEN_PURPOSE = "specway auth session token v1"  # noqa: S105 - an HKDF label


class CredentialHasher:
    """Hashes credentials with the current pepper; knows the previous ones for lookups."""

    def __init__(self, secrets: list[str] | tuple[str, ...]) -> None:
        if not secrets:
            raise ValueError("at least one secret is needed")
        self._peppers = [derive_key(s, PURPOSE) for s in secrets]
        self._token_key = derive_key(secrets[0], SESSION_TOKEN_PURPOSE)

    @classmethod
    def from_settings(cls, settings: Settings) -> CredentialHasher:
        return cls([settings.resolved_secret_key(), *settings.previous_secret_keys])

    def digest(self, credential: str) -> str:
        """The hex HMAC-SHA256 of ``credential`` under the current pepper."""
        return hmac.new(self._peppers[0], credential.encode("ascii"), hashlib.sha256).hexdigest()

    def candidates(self, credential: str) -> list[str]:
        """The hashes ``credential`` may be stored under: current pepper first, then older."""
        data = credential.encode("ascii")
        return [hmac.new(p, data, hashlib.sha256).hexdigest() for p in self._peppers]

    def session_token(self, session_id: str) -> str:
        """The token of session ``session_id`` when tokens are one per user
        (``x-specway-auth.session_tokens: per-user``): 40 hex characters derived from the
        current secret key and the session's id, so a later login can hand out the same token
        without any copy of it being stored (only its digest is, as for every credential)."""
        mac = hmac.new(self._token_key, session_id.encode("ascii"), hashlib.sha256)
        return mac.hexdigest()[:40]

    @staticmethod
    def matches(stored: str, computed: str) -> bool:
        """Constant-time comparison of two hex digests."""
        return hmac.compare_digest(stored.encode("ascii"), computed.encode("ascii"))
