"""Webhook secrets and signatures.

Headers follow `Standard Webhooks <https://www.standardwebhooks.com/>`_:

* ``webhook-id`` — the event's id, the same on every retry (receivers dedupe on it);
* ``webhook-timestamp`` — Unix seconds of this attempt;
* ``webhook-signature`` — ``v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``, where
  ``key`` is the base64-decoded part of the ``whsec_…`` secret; space-separated, one entry per
  live secret (two while a rotated-out secret is still valid).

For receivers written against the seed documents, ``X-Signature: sha256=<hex>`` carries
``HMAC-SHA256(secret, body)`` keyed with the whole ``whsec_…`` string (UTF-8) of the current
secret. The spec's ``x-specway-webhooks.signature`` (:class:`WebhookSigningConfig`) names that
header (or none), its prefix, and a body field that carries the same HMAC of the body without
that field (Hexabase's ``"signature": "sha256=…"``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import orjson

from specway.spec.extensions import WebhookSigningConfig

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


def body_signature(secret: str, body: bytes, prefix: str = "sha256=") -> str:
    """``<prefix><hex HMAC-SHA256(secret, body)>`` (``sha256=<hex>`` for ``X-Signature``)."""
    return prefix + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def with_body_field(body: bytes, name: str, value: str) -> bytes:
    """``body`` (a JSON object) with ``"name": value`` added as its last member.

    Appended to the bytes, so a receiver gets the signed bytes back by removing
    ``,"<name>":"<value>"`` before the closing brace.
    """
    if not body.endswith(b"}") or body == b"{}":
        raise ValueError("a body signature field needs a non-empty JSON object")
    return body[:-1] + b"," + orjson.dumps(name) + b":" + orjson.dumps(value) + b"}"


def signature_headers(
    secrets_in_use: list[str],
    message_id: str,
    timestamp: int,
    body: bytes,
    signing: WebhookSigningConfig | None = None,
) -> dict[str, str]:
    """The signing headers for one attempt of ``body`` (as sent); the first secret is the
    current one."""
    if not secrets_in_use:
        raise ValueError("at least one secret is needed to sign")
    signing = signing or WebhookSigningConfig()
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            standard_signature(s, message_id, timestamp, body) for s in secrets_in_use
        ),
    }
    if signing.header is not None:
        headers[signing.header] = body_signature(secrets_in_use[0], body, signing.prefix)
    return headers


def signed_delivery(
    secrets_in_use: list[str],
    message_id: str,
    timestamp: int,
    body: bytes,
    signing: WebhookSigningConfig | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The body to send (with the signature field, if the spec names one) and its headers."""
    signing = signing or WebhookSigningConfig()
    if signing.body_field is not None:
        if not secrets_in_use:
            raise ValueError("at least one secret is needed to sign")
        value = body_signature(secrets_in_use[0], body, signing.prefix)
        body = with_body_field(body, signing.body_field, value)
    return body, signature_headers(secrets_in_use, message_id, timestamp, body, signing)
