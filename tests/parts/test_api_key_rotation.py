"""``POST …/api-keys/{key_id}/rotate``: a new secret for the same key settings; the old one ends
now or after a grace period."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from specway.cli import main
from tests.parts.test_include import SECRET
from tests.parts.test_include import bookshelf as bookshelf  # the fixture


@pytest.fixture
def shelf(
    bookshelf: Path,
    app_factory: Callable[..., TestClient],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[TestClient, dict[str, str]]:
    url = f"sqlite+aiosqlite:///{bookshelf.parent / 'specway.db'}"
    monkeypatch.setenv("SPECWAY_DATABASE_URL", url)
    monkeypatch.setenv("SPECWAY_SECRET_KEY", SECRET)
    args = ["keys", "generate", "--spec", str(bookshelf), "--name", "ops", "--scope", "books:read"]
    assert main([*args, "--scope", "api_keys:write"]) == 0
    secret = capsys.readouterr().out.strip()
    return app_factory(bookshelf, database_url=url), {"Authorization": f"Bearer {secret}"}


def _key_id(client: TestClient, auth: dict[str, str]) -> tuple[str, str]:
    """A fresh key's id and secret, made through the API."""
    made = client.post("/api-keys", json={"name": "ci", "scopes": ["books:read"]}, headers=auth)
    assert made.status_code == 201, made.text
    return str(made.json()["id"]), str(made.json()["key"])


def test_rotation_without_grace_revokes_the_old_secret(
    shelf: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = shelf
    key_id, old = _key_id(client, auth)
    rotated = client.post(f"/api-keys/{key_id}/rotate", headers=auth)
    assert rotated.status_code == 201, rotated.text
    body = rotated.json()
    assert body["id"] != key_id
    assert body["name"] == "ci"
    assert body["scopes"] == ["books:read"]
    assert rotated.headers["Location"].endswith(f"/api-keys/{body['id']}")
    assert (
        client.get("/books", headers={"Authorization": f"Bearer {body['key']}"}).status_code == 200
    )
    assert client.get("/books", headers={"Authorization": f"Bearer {old}"}).status_code == 401


def test_rotation_with_grace_keeps_the_old_secret_until_then(
    shelf: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = shelf
    key_id, old = _key_id(client, auth)
    rotated = client.post(
        f"/api-keys/{key_id}/rotate", json={"expire_current_in": 3600}, headers=auth
    )
    assert rotated.status_code == 201, rotated.text
    new = rotated.json()["key"]
    for secret in (old, new):
        assert (
            client.get("/books", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        )


@pytest.mark.parametrize(
    ("body", "status"),
    [({"expire_current_in": -1}, 400), ({"expire_current_in": 604801}, 400), ({"x": 1}, 400)],
)
def test_bad_rotation_bodies_are_400(
    shelf: tuple[TestClient, dict[str, str]], body: dict[str, int], status: int
) -> None:
    client, auth = shelf
    key_id, _ = _key_id(client, auth)
    answer = client.post(f"/api-keys/{key_id}/rotate", json=body, headers=auth)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["request_id"] == answer.headers["X-Request-ID"]


def test_an_unknown_key_is_404(shelf: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = shelf
    answer = client.post("/api-keys/key_nope0000/rotate", headers=auth)
    assert answer.status_code == 404
