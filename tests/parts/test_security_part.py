"""The ``security`` part: an organisation-wide IP allow-list its admins set through the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from specway.app import SpecwayApp, create_app
from specway.cli import main
from specway.settings import Settings
from tests.parts.test_include import BOOKSHELF, SECRET, write_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    document = {**BOOKSHELF, "x-specway-include": ["api-keys", "security"]}
    return write_project(tmp_path / "shelf", document)


def _app(spec: Path, url: str) -> SpecwayApp:
    settings = Settings(
        database_url=url, secret_key=SECRET, spec_path=str(spec), auth_scrypt_log_n=10
    )
    return create_app(spec, settings)


@pytest.fixture
def clients(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[tuple[dict[str, str], TestClient, TestClient]]:
    url = f"sqlite+aiosqlite:///{project.parent / 'specway.db'}"
    monkeypatch.setenv("SPECWAY_DATABASE_URL", url)
    monkeypatch.setenv("SPECWAY_SECRET_KEY", SECRET)
    args = ["keys", "generate", "--spec", str(project), "--name", "admin"]
    assert main([*args, "--scope", "security:admin", "--scope", "books:read"]) == 0
    auth = {"Authorization": f"Bearer {capsys.readouterr().out.strip()}"}
    app = _app(project, url)
    # One app (one credential cache), seen from two client addresses; the first client runs
    # the app's lifespan.
    with TestClient(app, raise_server_exceptions=False, client=("203.0.113.7", 5000)) as office:
        elsewhere = TestClient(app, raise_server_exceptions=False, client=("198.51.100.20", 5000))
        yield auth, office, elsewhere


def test_the_allow_list_applies_to_every_key_of_the_organisation(
    clients: tuple[dict[str, str], TestClient, TestClient],
) -> None:
    auth, office, elsewhere = clients
    assert office.get("/security/ip-allowlist", headers=auth).json()["allowed_ips"] == []
    assert elsewhere.get("/books", headers=auth).status_code == 200

    changed = office.put(
        "/security/ip-allowlist",
        json={"allowed_ips": ["203.0.113.0/24", "2001:db8::1"]},
        headers=auth,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["allowed_ips"] == ["2001:db8::1/128", "203.0.113.0/24"]

    assert office.get("/books", headers=auth).status_code == 200
    refused = elsewhere.get("/books", headers=auth)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["details"] == {"reason": "ip_not_allowed", "scope": "organization"}
    assert error["request_id"] == refused.headers["X-Request-ID"]

    cleared = office.put("/security/ip-allowlist", json={"allowed_ips": []}, headers=auth)
    assert cleared.status_code == 200
    assert elsewhere.get("/books", headers=auth).status_code == 200


def test_a_list_that_locks_the_caller_out_is_refused(
    clients: tuple[dict[str, str], TestClient, TestClient],
) -> None:
    auth, office, _ = clients
    answer = office.put(
        "/security/ip-allowlist", json={"allowed_ips": ["198.51.100.0/24"]}, headers=auth
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["details"] == {"reason": "would_lock_out", "ip": "203.0.113.7"}
    assert office.get("/security/ip-allowlist", headers=auth).json()["allowed_ips"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"allowed_ips": ["not-a-network"]}, "allowed_ips.0"),
        ({"allowed_ips": "203.0.113.0/24"}, "allowed_ips"),
        ({}, "allowed_ips"),
    ],
)
def test_bad_lists_are_400_naming_the_field(
    clients: tuple[dict[str, str], TestClient, TestClient], body: dict[str, object], field: str
) -> None:
    auth, office, _ = clients
    answer = office.put("/security/ip-allowlist", json=body, headers=auth)
    assert answer.status_code == 400, answer.text
    assert field in [d["field"] for d in answer.json()["error"]["details"]]


def test_a_key_without_the_admin_scope_cannot_read_or_change_it(
    project: Path,
    clients: tuple[dict[str, str], TestClient, TestClient],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, office, _ = clients
    args = ["keys", "generate", "--spec", str(project), "--name", "reader", "--scope", "books:read"]
    assert main(args) == 0
    reader = {"Authorization": f"Bearer {capsys.readouterr().out.strip()}"}
    assert office.get("/security/ip-allowlist", headers=reader).status_code == 403
    answer = office.put("/security/ip-allowlist", json={"allowed_ips": []}, headers=reader)
    assert answer.status_code == 403
