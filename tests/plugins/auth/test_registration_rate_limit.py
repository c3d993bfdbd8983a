"""Issue 29 item 10: registration is rate-limited per client IP, like login.

A taken email answers 409, so registration tells whether an address has an account. Before,
only the anonymous limits (50 a minute, 100 an hour per IP) held it back, five times the pace
login allows for guessing a password; the reference spec's ``register`` policy now holds one
IP to 10 registrations a minute, whatever the emails, while another IP is not affected.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from specway.app import create_app, load_spec
from specway.settings import Settings
from tests.conftest import REFERENCE_SPEC
from tests.plugins.auth.support import PASSWORD, with_peer_header


def test_registration_is_limited_per_ip_like_login(
    settings_factory: Callable[..., Settings],
) -> None:
    model = load_spec(REFERENCE_SPEC)
    limit = model.ratelimit.policies["register"].limit
    assert limit == model.ratelimit.policies["login"].limit
    app = create_app(REFERENCE_SPEC, settings_factory())
    with TestClient(with_peer_header(app), raise_server_exceptions=False) as client:
        check(client, limit)


def check(client: TestClient, limit: int) -> None:
    probe = {"X-Test-Peer": "198.51.100.7"}

    statuses = [
        client.post(
            "/v1/auth/register",
            json={"email": f"probe-{n}@example.com", "password": PASSWORD},
            headers=probe,
        ).status_code
        for n in range(limit + 1)
    ]
    assert statuses == [201] * limit + [429]
    refused = client.post(
        "/v1/auth/register",
        json={"email": "probe-0@example.com", "password": PASSWORD},
        headers=probe,
    )
    # A taken email is not even looked at once the IP is over its budget.
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["details"]["policy"] == "register"
    assert int(refused.headers["Retry-After"]) >= 1

    elsewhere = client.post(
        "/v1/auth/register",
        json={"email": "probe-0@example.com", "password": PASSWORD},
        headers={"X-Test-Peer": "203.0.113.9"},
    )
    assert elsewhere.status_code == 409  # another IP still gets its own budget
