"""``verify_webhook`` against signatures made exactly as the server makes them."""

from __future__ import annotations

import json
import time

import pytest
from specway_client import WebhookVerificationError, verify_webhook

from specway.plugins.webhooks.signing import new_secret, signature_headers

BODY = json.dumps(
    {"id": "evt_1", "event": "project.created", "timestamp": "2024-01-15T10:30:00Z", "data": {}}
).encode()


def test_standard_signature_with_a_rotated_secret() -> None:
    current, previous = new_secret(), new_secret()
    now = int(time.time())
    headers = signature_headers([current, previous], "evt_1", now, BODY)
    for secret in (current, previous):
        event = verify_webhook(BODY, headers, secret)
        assert event.event == "project.created"
        assert event.timestamp.year == 2024


def test_tampered_body_wrong_secret_and_stale_timestamp_are_refused() -> None:
    secret = new_secret()
    now = int(time.time())
    headers = signature_headers([secret], "evt_1", now, BODY)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY + b" ", headers, secret)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY, headers, new_secret())
    old = signature_headers([secret], "evt_1", now - 301, BODY)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify_webhook(BODY, old, secret)
    assert verify_webhook(BODY, old, secret, tolerance=600).id == "evt_1"


def test_x_signature_alone_is_accepted() -> None:
    secret = new_secret()
    headers = signature_headers([secret], "evt_1", int(time.time()), BODY)
    assert verify_webhook(BODY.decode(), {"X-Signature": headers["X-Signature"]}, secret).id
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY, {"X-Signature": "sha256=00"}, secret)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY, {}, secret)
