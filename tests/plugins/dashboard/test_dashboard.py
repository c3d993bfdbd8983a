"""The ``dashboard`` plugin through the whole reference app, as a browser uses it.

The app is a variant of the reference spec with ``dashboard`` in its plugins: the pages sign
users in through the auth plugin's accounts, and the keys and webhook endpoints they make are
then used through the API itself (a key calls ``/v1/projects``; an endpoint receives a real
signed delivery on a local receiver).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook
from starlette.testclient import TestClient

from specway.app import create_app
from specway.errors import ConfigError
from specway.plugins.dashboard import Dashboard
from tests.conftest import PASSWORD, AuthIdentity, write_variant
from tests.plugins.dashboard.dashboard_support import (
    Browser,
    csrf_of,
    dashboard_document,
    secret_of,
)
from tests.plugins.webhooks.webhooks_support import Receiver

Make = Callable[..., TestClient]


@pytest.fixture
def dashboard_app(tmp_path: Path, app_factory: Make) -> Make:
    """``dashboard_app(base_url=..., database_url=..., **x-specway-dashboard options)``: a
    started client (SQLite in ``tmp_path`` unless ``database_url`` says otherwise)."""

    def make(
        base_url: str = "http://localhost", database_url: str | None = None, **config: Any
    ) -> TestClient:
        spec = write_variant(dashboard_document(**config), tmp_path)
        settings = {"database_url": database_url} if database_url else {}
        client = app_factory(spec, spec_path=str(spec), **settings)
        client.base_url = base_url  # type: ignore[assignment]
        return client

    return make


@pytest.fixture
def receiver() -> Any:
    found = Receiver()
    found.start()
    yield found
    found.stop()


def test_login_with_the_right_password_and_not_with_a_wrong_one(
    dashboard_app: Make, auth_factory: Callable[..., AuthIdentity]
) -> None:
    client = dashboard_app()
    admin = auth_factory(client)
    browser = Browser(client)
    assert browser.get("/api-tokens", follow_redirects=False).headers["location"] == (
        "/dashboard/login"
    )
    wrong = browser.login(admin.email, "not-the-password-1")
    assert wrong.status_code == 401
    assert "Invalid email or password" in wrong.text
    assert f'value="{admin.email}"' in wrong.text  # the email is kept, the password never
    assert "not-the-password-1" not in wrong.text
    unknown = browser.login("nobody@example.com", PASSWORD)
    assert unknown.status_code == 401
    assert "Invalid email or password" in unknown.text
    assert PASSWORD not in unknown.text

    signed_in = browser.login(admin.email, PASSWORD)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/dashboard/api-tokens"
    page = browser.get("/api-tokens")
    assert page.status_code == 200
    assert admin.email in page.text
    assert "(admin)" in page.text
    # The key auth_factory minted is listed by prefix and last four, never the secret.
    assert admin.key[-4:] in page.text
    assert admin.key not in page.text


def test_a_form_without_its_csrf_token_is_refused_with_a_403_page(
    dashboard_app: Make, auth_factory: Callable[..., AuthIdentity]
) -> None:
    client = dashboard_app()
    admin = auth_factory(client)
    browser = Browser(client)
    browser.get("/login")  # the double-submit cookie is set
    no_token = client.post("/dashboard/login", data={"email": admin.email, "password": PASSWORD})
    assert no_token.status_code == 403
    assert "did not come from this dashboard" in no_token.text
    assert not any(
        c.startswith("specway_dashboard=") for c in no_token.headers.get_list("set-cookie")
    )
    forged = client.post(
        "/dashboard/login",
        data={"email": admin.email, "password": PASSWORD, "csrf_token": "forged"},
    )
    assert forged.status_code == 403

    assert browser.login(admin.email, PASSWORD).status_code == 303
    before = client.get("/v1/api-keys", headers=admin.headers).json()["pagination"]["total"]
    # Signed in: no token, or a token that is not this session's.
    for data in ({"name": "sneaky"}, {"name": "sneaky", "csrf_token": "forged"}):
        refused = client.post("/dashboard/api-tokens", data=data)
        assert refused.status_code == 403, refused.text
    after = client.get("/v1/api-keys", headers=admin.headers).json()["pagination"]["total"]
    assert after == before


def test_session_cookie_attributes(
    dashboard_app: Make, auth_factory: Callable[..., AuthIdentity]
) -> None:
    local = dashboard_app()
    admin = auth_factory(local)
    cookies = Browser(local).login(admin.email, PASSWORD).headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("specway_dashboard="))
    attributes = {part.strip().lower() for part in session.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/dashboard"} <= attributes
    assert "secure" not in attributes  # plain http on localhost only

    remote = dashboard_app(base_url="https://testserver")
    page = remote.get("/dashboard/login")
    assert "secure" in page.headers["set-cookie"].lower()
    form_token = csrf_of(page)
    signed_in = remote.post(
        "/dashboard/login",
        data={"email": admin.email, "password": PASSWORD, "csrf_token": form_token},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    assert "secure" in signed_in.headers["set-cookie"].lower()
    plain_remote = dashboard_app(base_url="http://testserver")
    assert "secure" in plain_remote.get("/dashboard/login").headers["set-cookie"].lower()


def test_a_token_made_on_the_page_calls_the_api_until_revoked(
    dashboard_app: Make, auth_factory: Callable[..., AuthIdentity], database_url: str
) -> None:
    client = dashboard_app(database_url=database_url)
    admin = auth_factory(client)
    browser = Browser(client)
    browser.login(admin.email, PASSWORD)
    made = browser.create_key("CI deploys", ["read"])
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"
    secret = secret_of(made)
    assert secret.startswith("sk_live_")
    api = {"Authorization": f"Bearer {secret}"}
    assert client.get("/v1/projects", headers=api).status_code == 200
    # Its scopes are the ones chosen: read only.
    assert client.post("/v1/projects", json={"name": "P"}, headers=api).status_code == 403

    listed = browser.get("/api-tokens")
    assert "CI deploys" in listed.text
    assert secret not in listed.text  # shown once
    key_id = next(
        k["id"]
        for k in client.get("/v1/api-keys", headers=admin.headers).json()["data"]
        if k["name"] == "CI deploys"
    )
    revoked = browser.submit(f"/api-tokens/{key_id}/revoke", {}, page="/api-tokens")
    assert revoked.status_code == 303
    assert browser.get("/api-tokens?notice=revoked").text.count("The API key was revoked.") == 1
    assert client.get("/v1/projects", headers=api).status_code == 401

    # Scopes beyond the user's, or none known: the form again with the API's message.
    bad = browser.create_key("too much", ["nope"])
    assert bad.status_code == 400
    assert "nope" in bad.text
    nameless = browser.create_key("", ["read"])
    assert nameless.status_code == 400
    assert 'class="error"' in nameless.text


def test_a_webhook_made_on_the_page_receives_a_real_delivery(
    dashboard_app: Make, auth_factory: Callable[..., AuthIdentity], receiver: Receiver
) -> None:
    client = dashboard_app()
    admin = auth_factory(client)
    browser = Browser(client)
    browser.login(admin.email, PASSWORD)
    page = browser.get("/webhooks")
    assert 'value="project.created"' in page.text  # the spec's event catalogue
    made = browser.submit(
        "/webhooks", {"url": receiver.url, "events": ["project.created"], "description": "CI"}
    )
    assert made.status_code == 201, made.text
    secret = secret_of(made)
    assert secret.startswith("whsec_")
    assert secret not in browser.get("/webhooks").text

    created = client.post("/v1/projects", json={"name": "Hooked"}, headers=admin.headers)
    assert created.status_code == 201
    # The app's own in-process worker delivers it, signed with the page's secret.
    (delivery,) = receiver.wait_for(1)
    payload = Webhook(secret).verify(delivery.body, delivery.headers)
    assert payload["event"] == "project.created"
    assert created.json()["id"] in delivery.body.decode()

    hook_id = client.get("/v1/webhooks", headers=admin.headers).json()["data"][0]["id"]
    deleted = browser.submit(f"/webhooks/{hook_id}/delete", {}, page="/webhooks")
    assert deleted.status_code == 303
    assert client.get("/v1/webhooks", headers=admin.headers).json()["data"] == []

    refused = browser.submit(
        "/webhooks", {"url": "http://10.0.0.1/h", "events": ["project.created"]}
    )
    assert refused.status_code == 400
    assert "10.0.0.1" in refused.text
    none = browser.submit("/webhooks", {"url": receiver.url})
    assert none.status_code == 400
    assert "Choose at least one event" in none.text


def test_members_and_viewers_get_what_their_role_allows(
    dashboard_app: Make,
    auth_factory: Callable[..., AuthIdentity],
    member_factory: Callable[..., AuthIdentity],
) -> None:
    client = dashboard_app()
    admin = auth_factory(client)
    member = member_factory(client, admin, role="member")
    viewer_email = "viewer@example.com"
    registered = client.post(
        "/v1/auth/register", json={"email": viewer_email, "password": PASSWORD}
    )
    assert registered.status_code == 201
    added = client.post(
        f"/v1/organizations/{admin.organization_id}/members",
        json={"email": viewer_email, "role": "viewer"},
        headers=admin.headers,
    )
    assert added.status_code == 201

    as_member = Browser(client)
    signed = as_member.login(member.email, PASSWORD, organization_id=admin.organization_id)
    assert signed.status_code == 303
    # A member holds the api-keys part's write scope: may create, revoke only their own.
    own = as_member.create_key("mine", ["read"])
    assert own.status_code == 201
    # The form offers only the scopes the member's role holds.
    assert 'name="scopes" value="write"' in own.text
    assert 'name="scopes" value="admin"' not in own.text
    someone_elses = as_member.submit(f"/api-tokens/{admin.key_id}/revoke", {}, page="/api-tokens")
    assert someone_elses.status_code == 403
    assert "Only admins can revoke keys made by someone else" in someone_elses.text
    assert client.get("/v1/projects", headers=admin.headers).status_code == 200
    beyond = as_member.create_key("escalate", ["admin"])
    assert beyond.status_code == 403
    assert "admin" in beyond.text

    client.cookies.clear()
    as_viewer = Browser(client)
    as_viewer.login(viewer_email, PASSWORD, organization_id=admin.organization_id)
    page = as_viewer.get("/api-tokens")
    assert "Create a token" not in page.text
    assert "Only your organization's admins" in page.text
    refused = as_viewer.create_key("nope", ["read"])
    assert refused.status_code == 403
    hooks = as_viewer.submit(
        "/webhooks", {"url": "https://example.com/h", "events": ["project.created"]}
    )
    assert hooks.status_code == 403

    not_member = Browser(client)
    client.cookies.clear()
    other = auth_factory(client)
    wrong_org = not_member.login(other.email, PASSWORD, organization_id=admin.organization_id)
    assert wrong_org.status_code == 403


def test_every_page_carries_the_security_headers_and_the_request_id(
    dashboard_app: Make, auth_factory: Callable[..., AuthIdentity]
) -> None:
    client = dashboard_app()
    admin = auth_factory(client)
    browser = Browser(client)
    pages = [browser.get("/login"), browser.get("/nowhere"), browser.get("/dashboard.css")]
    browser.login(admin.email, PASSWORD)
    pages += [browser.get("/api-tokens"), browser.get("/webhooks")]
    for page in pages:
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["x-request-id"].startswith("req_")
    for page in pages[:2] + pages[3:]:
        assert page.headers["x-request-id"] in page.text
        assert "<script" not in page.text
    assert pages[1].status_code == 404
    too_large = client.post(
        "/dashboard/api-tokens",
        content=b"name=" + b"x" * 70_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert too_large.status_code == 413
    not_a_form = client.post("/dashboard/api-tokens", json={"name": "k"})
    assert not_a_form.status_code == 415
    wrong_method = client.delete("/dashboard/api-tokens")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "GET, POST"
    # The API's own paths are untouched.
    assert client.get("/v1/projects", headers=admin.headers).status_code == 200


def test_logout_revokes_the_session(
    dashboard_app: Make, auth_factory: Callable[..., AuthIdentity]
) -> None:
    client = dashboard_app()
    admin = auth_factory(client)
    browser = Browser(client)
    browser.login(admin.email, PASSWORD)
    token = client.cookies["specway_dashboard"]
    assert (
        client.get("/v1/auth/profile", headers={"Authorization": f"Token {token}"}).status_code
        == 200
    )
    no_token = client.post("/dashboard/logout", data={"x": "1"}, follow_redirects=False)
    assert no_token.status_code == 403  # a cross-site logout is refused too
    out = browser.submit("/logout", {}, page="/api-tokens")
    assert out.status_code == 303
    assert out.headers["location"] == "/dashboard/login?notice=signed_out"
    cleared = [c for c in out.headers.get_list("set-cookie") if "specway_dashboard=" in c]
    assert len(cleared) == 1
    assert 'specway_dashboard=""' in cleared[0]
    assert (
        client.get("/v1/auth/profile", headers={"Authorization": f"Token {token}"}).status_code
        == 401
    )
    client.cookies.set("specway_dashboard", token, path="/dashboard")
    again = client.get("/dashboard/api-tokens", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == "/dashboard/login"


def test_sign_in_attempts_are_limited_per_address(
    dashboard_app: Make, auth_factory: Callable[..., AuthIdentity]
) -> None:
    client = dashboard_app(login_limit={"limit": 2, "window": 60})
    admin = auth_factory(client)
    browser = Browser(client)
    assert browser.login(admin.email, "wrong-password-1").status_code == 401
    assert browser.login(admin.email, "wrong-password-2").status_code == 401
    limited = browser.login(admin.email, PASSWORD)
    assert limited.status_code == 429
    # A sliding window: the wait ends within the next window, whatever the window's phase.
    assert 0 < int(limited.headers["retry-after"]) <= 2 * 60
    assert "Too many sign-in attempts" in limited.text
    assert not any(
        c.startswith("specway_dashboard=") for c in limited.headers.get_list("set-cookie")
    )


def test_signup_makes_an_admin_of_a_new_organization(dashboard_app: Make) -> None:
    closed = dashboard_app()
    assert closed.get("/dashboard/signup").status_code == 404
    client = dashboard_app(signup=True)
    browser = Browser(client)
    weak = browser.submit(
        "/signup", {"email": "new@example.com", "password": "short", "confirm_password": "short"}
    )
    assert weak.status_code == 400
    assert "Password is too weak" in weak.text
    assert "short" not in weak.text.split("<main>")[1].split("error")[0]
    made = browser.submit(
        "/signup",
        {"email": "new@example.com", "password": PASSWORD, "confirm_password": PASSWORD},
    )
    assert made.status_code == 303
    page = browser.get("/api-tokens")
    assert "new@example.com (admin)" in page.text
    client.cookies.clear()
    taken = Browser(client).submit(
        "/signup",
        {"email": "new@example.com", "password": PASSWORD, "confirm_password": PASSWORD},
    )
    assert taken.status_code == 409


def test_configuration_errors_stop_the_start(tmp_path: Path, settings_factory: Any) -> None:
    document = dashboard_document()
    document["x-specway-plugins"] = [p for p in document["x-specway-plugins"] if p != "auth"]
    with pytest.raises(ConfigError, match="add auth to x-specway-plugins"):
        create_app(write_variant(document, tmp_path), settings_factory())
    clash = dashboard_document()
    clash["x-specway-dashboard"]["path"] = "/v1/projects"
    with pytest.raises(ConfigError, match="would hide the API's own paths"):
        create_app(write_variant(clash, tmp_path), settings_factory())


def test_what_the_pages_do_is_in_the_audit_log(
    dashboard_app: Make, auth_factory: Callable[..., AuthIdentity]
) -> None:
    client = dashboard_app()
    admin = auth_factory(client)
    browser = Browser(client)
    browser.login(admin.email, "wrong-password-1")
    browser.login(admin.email, PASSWORD)
    made = browser.create_key("audited", ["read"])
    assert made.status_code == 201
    rows = client.get("/v1/audit-logs", params={"limit": 50}, headers=admin.headers).json()
    mine = [r for r in rows["data"] if (r.get("details") or {}).get("via") == "dashboard"]
    actions = [(r["action"], r["status"]) for r in mine]
    assert ("api_key.created", 201) in actions
    assert ("user.logged_in", 200) in actions
    assert ("user.logged_in", 401) in actions
    created = next(r for r in mine if r["action"] == "api_key.created")
    assert created["user_id"] == admin.user_id
    assert created["path"] == "/dashboard/api-tokens"
    assert created["request_id"] == made.headers["x-request-id"]
    assert all(PASSWORD not in str(r) and "wrong-password-1" not in str(r) for r in mine)


def test_an_unexpected_failure_is_a_page_with_the_request_id_not_a_traceback(
    dashboard_app: Make,
    auth_factory: Callable[..., AuthIdentity],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = dashboard_app()
    admin = auth_factory(client)
    browser = Browser(client)
    browser.login(admin.email, PASSWORD)

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database on fire at /srv/secret/path")

    monkeypatch.setattr(Dashboard, "tokens_page", broken)
    failed = browser.get("/api-tokens")
    assert failed.status_code == 500
    assert failed.headers["x-request-id"] in failed.text
    assert "Something went wrong" in failed.text
    assert "on fire" not in failed.text
    assert "Traceback" not in failed.text
    assert failed.headers["content-security-policy"].startswith("default-src 'self'")
