"""examples/plugins/ip-allowlist, pip-installed, switched on from a spec, refusing for real.

The package is installed with pip into a folder of its own (``--target``), which the tests put
on ``sys.path``: its ``*.dist-info`` carries the ``specway.plugins`` entry point, so specway
finds it exactly as it would in a virtualenv, and nothing is left behind in ``.venv``.
"""

from __future__ import annotations

import ast
import asyncio
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from specway.app import create_app, load_spec
from specway.errors import ConfigError
from specway.plugins import registry
from specway.plugins.auth import accounts
from specway.plugins.auth import api_keys as store
from specway.plugins.auth.hashing import CredentialHasher
from specway.plugins.auth.keys import KeyFormat
from specway.settings import Settings
from specway.spec import build_model
from specway.storage.database import Database

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "plugins" / "ip-allowlist"

# Callers reach the app through a trusted proxy at 127.0.0.1; X-Forwarded-For says who they are.
ALPHA_NET, BETA_NET, OUTSIDE = "198.51.100.7", "192.0.2.5", "203.0.113.9"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    target = tmp_path_factory.mktemp("site")
    # Built from a copy: pip (setuptools) writes build/ and *.egg-info beside the sources.
    source = shutil.copytree(EXAMPLE, tmp_path_factory.mktemp("src") / "ip-allowlist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    yield target
    for name in [m for m in sys.modules if m.startswith("specway_ip_allowlist")]:
        del sys.modules[name]


@pytest.fixture
def on_path(installed: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(installed))
    return installed


def document(ipallow: dict[str, Any]) -> dict[str, Any]:
    ok = {"200": {"description": "ok"}, "403": {"description": "refused"}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Shelf", "version": "1"},
        "x-specway-plugins": ["request_id", "errors", "metrics", "auth", "ip_allowlist"],
        "x-ipallow": ipallow,
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/books": {
                "get": {
                    "operationId": "listBooks",
                    "summary": "Books",
                    "tags": ["Books"],
                    "security": [{"bearerAuth": ["read"]}],
                    "responses": ok,
                }
            },
            "/hello": {
                "get": {
                    "operationId": "hello",
                    "summary": "Hello",
                    "tags": ["Books"],
                    "security": [],
                    "responses": ok,
                }
            },
            "/status": {
                "get": {
                    "operationId": "status",
                    "summary": "Status",
                    "tags": ["Books"],
                    "security": [],
                    "x-ipallow": {"exempt": True},
                    "responses": ok,
                }
            },
        },
    }


def write(folder: Path, doc: dict[str, Any]) -> Path:
    path = folder / "openapi.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


async def two_tenants(spec: Path, settings: Settings) -> dict[str, tuple[str, str]]:
    """Migrate, then make organisations alpha and beta with a ``read`` key each:
    name → (organisation id, key)."""
    model = load_spec(spec)
    db = Database(settings.database_url)
    try:
        await db.migrate(model)
        out = {}
        for name in ("alpha", "beta"):
            async with db.session() as session, session.begin():
                org = await accounts.create_organization(session, name)
                made = await store.create_api_key(
                    session,
                    hasher=CredentialHasher.from_settings(settings),
                    key_format=KeyFormat(model.auth.key_prefix, model.auth.test_key_prefix),
                    organization_id=org.id,
                    name=name,
                    scopes=["read"],
                )
            out[name] = (org.id, made.secret)
        return out
    finally:
        await db.dispose()


@pytest.fixture
def shelf(
    on_path: Path, tmp_path: Path, settings_factory: Callable[..., Settings]
) -> Iterator[tuple[TestClient, dict[str, tuple[str, str]]]]:
    settings = settings_factory(trusted_proxies=("127.0.0.1/32",))
    tenants = asyncio.run(two_tenants(write(tmp_path, document({})), settings))
    alpha_org = tenants["alpha"][0]
    spec = write(
        tmp_path,
        document({"default": ["192.0.2.0/24"], "organizations": {alpha_org: ["198.51.100.0/24"]}}),
    )
    handlers = {"listBooks": lambda: [], "hello": lambda: {}, "status": lambda: {}}
    app = create_app(spec, settings, handlers=handlers)
    with TestClient(app, raise_server_exceptions=False, client=("127.0.0.1", 5000)) as client:
        yield client, tenants


def call(client: TestClient, path: str, ip: str, key: str | None = None) -> Any:
    headers = {"X-Forwarded-For": ip}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return client.get(path, headers=headers)


def test_pip_installed_it_is_an_installed_plugin(on_path: Path) -> None:
    assert any(p.name.startswith("specway_ip_allowlist-") for p in on_path.glob("*.dist-info"))
    assert "ip_allowlist" in registry.installed()
    assert registry.plugin_class("ip_allowlist").extension_key == "x-ipallow"


def test_an_organisation_calls_only_from_its_own_list(
    shelf: tuple[TestClient, dict[str, tuple[str, str]]],
) -> None:
    client, tenants = shelf
    alpha_key, beta_key = tenants["alpha"][1], tenants["beta"][1]
    assert call(client, "/books", ALPHA_NET, alpha_key).status_code == 200
    # alpha's list replaces the default: the default network is not alpha's.
    refused = call(client, "/books", BETA_NET, alpha_key)
    assert refused.status_code == 403
    assert refused.json() == {
        "error": {
            "code": "ip_not_allowed",
            "message": f"Requests from {BETA_NET} are not allowed",
            "details": {"ip": BETA_NET},
            "request_id": refused.headers["x-request-id"],
        }
    }
    # beta has no list of its own: the default applies.
    assert call(client, "/books", BETA_NET, beta_key).status_code == 200
    assert call(client, "/books", ALPHA_NET, beta_key).status_code == 403
    assert call(client, "/books", OUTSIDE, beta_key).status_code == 403


def test_anonymous_callers_get_the_default_and_exempt_operations_pass(
    shelf: tuple[TestClient, dict[str, tuple[str, str]]],
) -> None:
    client, _ = shelf
    assert call(client, "/hello", BETA_NET).status_code == 200
    assert call(client, "/hello", OUTSIDE).status_code == 403
    assert call(client, "/status", OUTSIDE).status_code == 200
    # Authentication still comes first: no key on a secured operation is a 401, not a 403.
    assert call(client, "/books", OUTSIDE).status_code == 401


def test_refusals_are_counted(shelf: tuple[TestClient, dict[str, tuple[str, str]]]) -> None:
    client, tenants = shelf
    call(client, "/books", BETA_NET, tenants["alpha"][1])
    metrics = client.get("/metrics", headers={"X-Forwarded-For": BETA_NET}).text
    assert 'specway_ipallow_denied_total{list="organization"}' in metrics


def test_lint_checks_x_ipallow(on_path: Path) -> None:
    doc = document({"default": ["10.0.0.0/8", "not an ip"], "organisations": {}})
    doc["paths"]["/books"]["x-ipallow"] = {"exempt": "yes"}
    doc["paths"]["/books"]["get"]["x-ipallow"] = {"exempt": "yes"}
    _, problems = build_model(doc)
    found = {(p.pointer, p.message, p.fix) for p in problems}
    assert found == {
        ("/x-ipallow", "unknown key 'organisations'", "did you mean 'organizations'?"),
        (
            "/x-ipallow/default/1",
            "'not an ip' does not match '^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$'",
            "see the extension reference",
        ),
        (
            "/paths/~1books/x-ipallow",
            "x-ipallow is not allowed at the path level (plugin 'ip_allowlist' reads it at: "
            "document, operation)",
            "move it to the right level",
        ),
        (
            "/paths/~1books/get/x-ipallow/exempt",
            "'yes' is not of type 'boolean'",
            "see the extension reference",
        ),
    }


def test_a_cidr_that_passes_lint_but_not_ipaddress_fails_startup(
    on_path: Path, tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    spec = write(tmp_path, document({"organizations": {"org_1": ["10.0.0.300/8"]}}))
    handlers = {"listBooks": lambda: [], "hello": lambda: {}, "status": lambda: {}}
    with pytest.raises(ConfigError, match=r"/x-ipallow/organizations/org_1/0: '10.0.0.300/8'"):
        create_app(spec, settings_factory(), handlers=handlers)


def test_the_example_imports_only_the_public_plugin_api() -> None:
    imported: set[str] = set()
    for source in (EXAMPLE / "specway_ip_allowlist").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    specway = {m for m in imported if m.split(".")[0] in {"specway", "connexion", "starlette"}}
    assert specway == {"specway.plugins.api"}


@pytest.mark.parametrize(
    ("ip", "organization", "allowed", "which"),
    [
        ("2001:db8::1", "org_v6", True, "organization"),
        ("2001:db9::1", "org_v6", False, "organization"),
        ("::ffff:192.0.2.9", None, True, "default"),
        ("192.0.2.9", "org_unlisted", True, "default"),
        ("testclient", None, False, "default"),
        ("", None, False, "default"),
    ],
)
def test_allowlist_decisions(
    on_path: Path, ip: str, organization: str | None, allowed: bool, which: str
) -> None:
    from specway_ip_allowlist import Allowlist

    rule = Allowlist.of(
        {"default": ["192.0.2.0/24"], "organizations": {"org_v6": ["2001:db8::/32"]}}, "/x"
    )
    decision = rule.decide(ip, organization)
    assert (decision.allowed, decision.list) == (allowed, which)
    # Without a default, callers without a list of their own are not checked.
    assert Allowlist.of({}, "/x").decide(ip, organization).allowed
