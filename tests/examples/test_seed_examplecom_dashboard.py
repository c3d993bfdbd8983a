"""example.com (seed 003): the dashboard its document links to.

"To obtain an API token, visit your [account dashboard](/dashboard/api-tokens)" and "Register
the webhook URL in your [dashboard](/dashboard/webhooks)": both links, on the example's own app,
from sign-up to a token that calls the documented API and an endpoint that receives the
documented ``user.created`` event.
"""

from __future__ import annotations

from collections.abc import Callable

from standardwebhooks.webhooks import Webhook
from starlette.testclient import TestClient

from tests.conftest import PASSWORD
from tests.plugins.dashboard.dashboard_support import Browser, secret_of
from tests.plugins.webhooks.webhooks_support import Receiver


def test_examplecom_dashboard_links_serve_tokens_and_webhooks(
    example_client: Callable[..., TestClient], receiver: Receiver
) -> None:
    client = example_client("examplecom")
    client.base_url = "http://localhost"  # type: ignore[assignment]
    browser = Browser(client)
    # The seed's links lead to the sign-in page until one signs in.
    for link in ("/dashboard/api-tokens", "/dashboard/webhooks"):
        response = client.get(link, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard/login"
    assert "example.com dashboard" in browser.get("/login").text

    signed_up = browser.submit(
        "/signup",
        {"email": "jane@example.com", "password": PASSWORD, "confirm_password": PASSWORD},
    )
    assert signed_up.status_code == 303
    tokens = client.get("/dashboard/api-tokens")
    assert tokens.status_code == 200
    assert "jane@example.com (admin)" in tokens.text
    made = browser.create_key("laptop", ["read", "write"])
    assert made.status_code == 201, made.text
    api = {"Authorization": f"Bearer {secret_of(made)}"}
    listed = client.get("/v1/projects", headers=api)
    assert listed.status_code == 200
    assert set(listed.json()) == {"data", "meta"}

    hooks = client.get("/dashboard/webhooks")
    assert hooks.status_code == 200
    assert 'value="user.created"' in hooks.text  # the seed's one event
    registered = browser.submit("/webhooks", {"url": receiver.url, "events": ["user.created"]})
    assert registered.status_code == 201, registered.text
    secret = secret_of(registered)
    body = {"name": "John Doe", "email": "john@example.com", "password": "secure_password"}
    created = client.post("/v1/users", json=body, headers=api)
    assert created.status_code == 201, created.text
    (delivery,) = receiver.wait_for(1)
    payload = Webhook(secret).verify(delivery.body, delivery.headers)
    assert payload["event"] == "user.created"
    assert payload["data"]["id"] == created.json()["id"]
