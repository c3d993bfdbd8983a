"""Issue 29 item 9: removing a member revokes their sessions and keys in that organisation.

Before, removal only deleted the membership: the member's session and API keys there stopped
working because their creator had no role, and adding the member back revived both. Now they
are revoked at removal; re-adding the user gives them nothing back until they log in again.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from tests.conftest import AuthIdentity
from tests.plugins.auth.support import runtime_of

PROBE = "/v1/projects?per_page=1"


def test_removed_member_does_not_come_back_with_old_credentials(
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
    member_factory: Callable[..., AuthIdentity],
) -> None:
    client = app_factory()
    admin = auth_factory(client)
    member = member_factory(client, admin, role="member")
    assert client.get(PROBE, headers=member.headers).status_code == 200
    assert client.get(PROBE, headers=member.session_headers).status_code == 200
    own_org_session = client.post(
        "/v1/auth/login", json={"email": member.email, "password": member.password}
    ).json()["token"]

    members = f"/v1/organizations/{admin.organization_id}/members"
    removed = client.delete(f"{members}/{member.user_id}", headers=admin.headers)
    assert removed.status_code == 204
    assert client.get(PROBE, headers=member.headers).status_code == 401
    assert client.get(PROBE, headers=member.session_headers).status_code == 401

    added = client.post(
        members, json={"email": member.email, "role": "member"}, headers=admin.headers
    )
    assert added.status_code == 201, added.text
    # The refusals above are cached for a few seconds; what counts is the stored state.
    runtime_of(client).cache.clear()
    assert client.get(PROBE, headers=member.headers).status_code == 401, "old key revived"
    assert client.get(PROBE, headers=member.session_headers).status_code == 401, "old session"
    key = client.get(f"/v1/api-keys/{member.key_id}", headers=admin.headers)
    assert key.status_code == 404  # revoked: no longer among the organisation's keys

    # Only that organisation's credentials: the member's session in their own one still works.
    assert (
        client.get(PROBE, headers={"Authorization": f"Token {own_org_session}"}).status_code == 200
    )
    # Back in, they log in and act again with fresh credentials.
    login = client.post(
        "/v1/auth/login",
        json={
            "email": member.email,
            "password": member.password,
            "organization_id": admin.organization_id,
        },
    )
    assert login.status_code == 200
    fresh = {"Authorization": f"Token {login.json()['token']}"}
    assert client.get(PROBE, headers=fresh).status_code == 200
