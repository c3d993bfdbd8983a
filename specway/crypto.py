"""Encryption of secrets at rest (variable values, webhook secrets) with key rotation.

Values are sealed with AES-256-GCM. Each ciphertext starts with the id of the key that sealed it
(``v1.<key id>.<base64 nonce+ciphertext>``), so several keys can be live at once: the newest
seals, any known one opens, and :meth:`SecretBox.rotate` re-seals with the newest. Keys are
derived from ``SPECWAY_SECRET_KEY`` (current) and ``SPECWAY_PREVIOUS_SECRET_KEYS`` (older) with
HKDF, so the raw setting is never used as a key directly.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from specway.errors import SpecwayError

_VERSION = "v1"


class DecryptionError(SpecwayError):
    """A ciphertext that no configured key opens (wrong key, tampered, or malformed)."""


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` derived from the ``secret`` setting (HKDF-SHA256)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"specway", info=purpose.encode())
    return hkdf.derive(secret.encode("utf-8"))


def key_id(key: bytes) -> str:
    """A short public id for ``key`` (first 8 hex chars of its SHA-256)."""
    return hashlib.sha256(key).hexdigest()[:8]


class SecretBox:
    """Seal and open strings; the first key seals, every key opens."""

    def __init__(
        self, secrets: list[str] | tuple[str, ...], purpose: str = "secrets-at-rest"
    ) -> None:
        if not secrets:
            raise ValueError("at least one secret is needed")
        keys = [derive_key(s, purpose) for s in secrets]
        self._keys = {key_id(k): AESGCM(k) for k in keys}
        self.current_key_id = key_id(keys[0])

    def seal(self, plaintext: str, associated_data: str = "") -> str:
        """Encrypt ``plaintext``; ``associated_data`` (e.g. the row id) binds it to its place."""
        nonce = os.urandom(12)
        sealed = self._keys[self.current_key_id].encrypt(
            nonce, plaintext.encode("utf-8"), associated_data.encode("utf-8")
        )
        payload = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{_VERSION}.{self.current_key_id}.{payload}"

    def open(self, token: str, associated_data: str = "") -> str:
        """Decrypt a value sealed by :meth:`seal` with any configured key."""
        try:
            version, kid, payload = token.split(".", 2)
            raw = base64.urlsafe_b64decode(payload.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise DecryptionError("malformed ciphertext") from exc
        aead = self._keys.get(kid)
        if version != _VERSION or aead is None or len(raw) < 13:
            raise DecryptionError(f"no key {kid!r} to open this value")
        try:
            return aead.decrypt(raw[:12], raw[12:], associated_data.encode("utf-8")).decode("utf-8")
        except InvalidTag as exc:
            raise DecryptionError("ciphertext does not verify") from exc

    def key_id_of(self, token: str) -> str:
        return token.split(".", 2)[1] if token.count(".") >= 2 else ""

    def needs_rotation(self, token: str) -> bool:
        return self.key_id_of(token) != self.current_key_id

    def rotate(self, token: str, associated_data: str = "") -> str:
        """Re-seal ``token`` with the current key (unchanged if it already uses it)."""
        if not self.needs_rotation(token):
            return token
        return self.seal(self.open(token, associated_data), associated_data)
