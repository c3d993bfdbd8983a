"""``specway keys generate|list|revoke`` against a database an app also serves."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient

from specway.cli import main
from tests.conftest import REDIS_URL, REFERENCE_SPEC, write_variant

SECRET = "test-secret-key-0123456789abcdef"


@pytest.fixture
def acme_spec(tmp_path: Path) -> Path:
    """The reference spec with the key prefix ``acme_live_``."""
    document = yaml.safe_load(REFERENCE_SPEC.read_text())
    document["x-specway-auth"] = {"key_prefix": "acme_live_", "test_key_prefix": "acme_test_"}
    return write_variant(document, tmp_path)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'specway.db'}"
    monkeypatch.setenv("SPECWAY_DATABASE_URL", url)
    monkeypatch.setenv("SPECWAY_SECRET_KEY", SECRET)
    monkeypatch.setenv("SPECWAY_REDIS_URL", REDIS_URL)
    return url


@pytest.mark.redis
def test_generate_list_revoke(
    app_factory: Callable[..., TestClient],
    capsys: pytest.CaptureFixture[str],
    acme_spec: Path,
    cli_env: str,
) -> None:
    args = ["keys", "generate", "--name", "ci", "--scope", "read", "--scope", "write"]
    assert main([*args, "--expires", "30d", "--spec", str(acme_spec)]) == 0
    out, err = capsys.readouterr()
    secret = out.strip()
    assert out == secret + "\n"  # the secret alone on stdout
    assert secret.startswith("acme_live_")
    assert secret not in err
    assert "shown only once" in err
    assert "Default Organization" in err

    client = app_factory(acme_spec, database_url=cli_env, redis_url=REDIS_URL)
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/v1/projects", headers=auth).status_code == 200
    assert client.post("/v1/projects", json={"name": "x"}, headers=auth).status_code == 201
    assert client.delete("/v1/projects/proj_x", headers=auth).status_code == 403
    assert client.get("/v1/auth/profile", headers=auth).status_code == 404  # no user

    assert main(["keys", "list"]) == 0
    listing, _ = capsys.readouterr()
    key_id = next(line.split()[0] for line in listing.splitlines() if "acme_live_" in line)
    assert key_id.startswith("key_")
    assert secret not in listing
    assert f"acme_live_…{secret[-4:]}" in listing

    assert main(["keys", "revoke", key_id]) == 0
    capsys.readouterr()
    revoked_at = time.monotonic()
    status = 200
    while status == 200 and time.monotonic() - revoked_at < 3:
        status = client.get("/v1/projects", headers=auth).status_code
    assert status == 401
    assert main(["keys", "revoke", key_id]) == 1  # already revoked: not found


def test_organization_choice(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cli_env: str
) -> None:
    monkeypatch.delenv("SPECWAY_REDIS_URL")
    base = ["keys", "generate", "--name", "k", "--scope", "read", "--spec", str(REFERENCE_SPEC)]
    assert main([*base, "--org", "org_missing"]) == 2
    assert main(base) == 0
    first, _ = capsys.readouterr()
    assert first.startswith("sk_live_")
    assert main([*base, "--expires", "someday"]) == 2
    assert main([*base, "--scope", "admin", "--allow-ip", "10.0.0.0/8", "--test"]) == 0
    assert capsys.readouterr()[0].startswith("sk_test_")
