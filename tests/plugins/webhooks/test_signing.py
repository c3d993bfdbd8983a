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
    signed_delivery,
)
from specway.spec.extensions import WebhookSigningConfig

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


def test_signature_header_and_prefix_come_from_the_spec() -> None:
    secret = new_secret()
    bare = WebhookSigningConfig(header="X-Signature", prefix="")
    headers = signature_headers([secret], "msg_3", 0, BODY, bare)
    assert headers["X-Signature"] == hmac.new(secret.encode(), BODY, hashlib.sha256).hexdigest()
    renamed = WebhookSigningConfig(header="X-Hub-Signature-256")
    assert "X-Signature" not in signature_headers([secret], "m", 0, BODY, renamed)
    none = signature_headers([secret], "m", 0, BODY, WebhookSigningConfig(header=None))
    assert set(none) == {"webhook-id", "webhook-timestamp", "webhook-signature"}


def test_signature_as_the_bodys_last_field_signs_the_body_without_it() -> None:
    secret = new_secret()
    timestamp = int(time.time())
    signing = WebhookSigningConfig(body_field="signature")
    body, headers = signed_delivery([secret], "msg_4", timestamp, BODY, signing)
    expected = body_signature(secret, BODY)
    assert body == BODY[:-1] + b',"signature":"' + expected.encode() + b'"}'
    # The Standard Webhooks and X-Signature headers sign the body as sent.
    assert Webhook(secret).verify(body, headers) is not None
    assert headers["X-Signature"] == body_signature(secret, body)
    # Without a body field the body goes as it is.
    assert signed_delivery([secret], "m", timestamp, BODY)[0] == BODY
    assert WebhookSigningConfig.of({"signature": {"body_field": "sig", "prefix": ""}}) == (
        WebhookSigningConfig(header="X-Signature", prefix="", body_field="sig")
    )
