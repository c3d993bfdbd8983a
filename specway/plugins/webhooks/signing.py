"""Webhook secrets and signatures.

Headers follow `Standard Webhooks <https://www.standardwebhooks.com/>`_:

* ``webhook-id`` — the event's id, the same on every retry (receivers dedupe on it);
* ``webhook-timestamp`` — Unix seconds of this attempt;
* ``webhook-signature`` — ``v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``, where
  ``key`` is the base64-decoded part of the ``whsec_…`` secret; space-separated, one entry per
  live secret (two while a rotated-out secret is still valid).

For receivers written against the seed documents, ``X-Signature: sha256=<hex>`` carries
``HMAC-SHA256(secret, body)`` keyed with the whole ``whsec_…`` string (UTF-8) of the current
secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh ``whsec_<base64 of 32 random bytes>`` secret."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret (the base64 part after ``whsec_``)."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature entry for ``body`` sent as ``message_id`` at ``timestamp``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def body_signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256(secret, body)>`` for the ``X-Signature`` header."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_headers(
    secrets_in_use: list[str], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The signing headers for one attempt; the first secret is the current one."""
    if not secrets_in_use:
        raise ValueError("at least one secret is needed to sign")
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            standard_signature(s, message_id, timestamp, body) for s in secrets_in_use
        ),
        "X-Signature": body_signature(secrets_in_use[0], body),
    }
