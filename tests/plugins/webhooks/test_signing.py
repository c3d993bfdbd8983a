from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from specway.plugins.webhooks.signing import (
    SECRET_PREFIX,
    body_signature,
    new_secret,
    secret_key,
    signature_headers,
)

BODY = b'{"id":"msg_1","event":"project.created","timestamp":"2024-01-15T10:30:00Z","data":{}}'


def test_new_secrets_are_standard_webhooks_secrets() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith(SECRET_PREFIX)
    assert first != second
    assert len(secret_key(first)) == 32


def test_headers_verify_with_standardwebhooks_and_plain_hmac() -> None:
    secret = new_secret()
    timestamp = int(time.time())
    headers = signature_headers([secret], "msg_1", timestamp, BODY)
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == str(timestamp)
    assert Webhook(secret).verify(BODY, headers) is not None
    expected = hmac.new(secret.encode(), BODY, hashlib.sha256).hexdigest()
    assert headers["X-Signature"] == f"sha256={expected}"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY + b" ", headers)


def test_two_secrets_give_two_signatures_each_verifying() -> None:
    current, previous = new_secret(), new_secret()
    timestamp = int(time.time())
    headers = signature_headers([current, previous], "msg_2", timestamp, BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(current).verify(BODY, headers) is not None
    assert Webhook(previous).verify(BODY, headers) is not None
    # X-Signature carries the current secret only.
    assert headers["X-Signature"] == body_signature(current, BODY)


def test_signing_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        signature_headers([], "msg", 0, BODY)
