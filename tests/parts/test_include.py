"""``x-specway-include``: a project outside the repo mounts the platform's parts in its spec.

A small bookshelf API (its own scopes ``books:read``/``books:write``, its own bearer scheme, DRF
pagination) includes API keys, webhooks and the audit log with one line each, and gets them in
its bundle, its routes, its docs and its scopes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from specway.cli import main
from specway.spec import SpecError, load_spec_document
from specway.spec.include import PARTS
from specway.spec.model import build_model, load_model

SECRET = "test-secret-key-0123456789abcdef"

BOOKSHELF: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Bookshelf", "version": "1.0.0"},
    "x-specway-plugins": ["request_id", "errors", "auth", "audit", "webhooks"],
    "x-specway-pagination": {"style": "drf"},
    "x-specway-include": ["api-keys", "webhooks", "audit-logs"],
    "paths": {
        "/books": {
            "get": {
                "operationId": "listBooks",
                "tags": ["Books"],
                "summary": "List books",
                "security": [{"keyAuth": ["books:read"]}],
                "responses": {"200": {"description": "The books."}},
            },
            "post": {
                "operationId": "createBook",
                "tags": ["Books"],
                "summary": "Add a book",
                "security": [{"keyAuth": ["books:write"]}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["title"],
                                "properties": {"title": {"type": "string"}},
                            }
                        }
                    },
                },
                "responses": {"201": {"description": "Added."}},
            },
        }
    },
    "components": {"securitySchemes": {"keyAuth": {"type": "http", "scheme": "bearer"}}},
}

BOOKS_PY = """
from typing import Any

BOOKS: list[dict[str, Any]] = []


async def list_books() -> tuple[Any, int]:
    return {"results": BOOKS}, 200


async def create_book(body: dict[str, Any]) -> tuple[Any, int]:
    BOOKS.append(body)
    return body, 201
"""


def write_project(folder: Path, document: dict[str, Any]) -> Path:
    (folder / "handlers").mkdir(parents=True, exist_ok=True)
    (folder / "handlers" / "__init__.py").write_text("")
    (folder / "handlers" / "books.py").write_text(BOOKS_PY)
    spec = folder / "openapi.yaml"
    spec.write_text(yaml.safe_dump(document, sort_keys=False))
    return spec


@pytest.fixture
def bookshelf(tmp_path: Path) -> Path:
    return write_project(tmp_path / "bookshelf", BOOKSHELF)


def test_included_operations_carry_the_projects_schemes_scopes_and_pagination(
    bookshelf: Path,
) -> None:
    model = load_model(bookshelf)
    create = model.operation("createApiKey")
    assert create.path == "/api-keys"
    assert create.handler_module == "specway.parts.api_keys.handlers"
    assert [r.schemes for r in create.security] == [(("keyAuth", ("api_keys:write",)),)]
    assert model.operation("listWebhooks").path == "/webhooks"
    assert model.operation("listAuditLogs").path == "/audit-logs"
    assert "registerUser" not in model.operations  # accounts were not included
    assert model.scopes.names[:2] == ("books:read", "books:write")
    assert "webhooks:write" in model.scopes.names
    schemas = model.document["components"]["schemas"]
    # The project's pagination style (drf) and error style (nested, the default).
    assert set(schemas["ApiKeyList"]["properties"]) == {"count", "next", "previous", "results"}
    assert "error" in schemas["Error"]["properties"]
    # The key-creation body lists exactly this API's scopes.
    items = schemas["ApiKeyCreate"]["properties"]["scopes"]["items"]
    assert items["enum"] == list(model.scopes.names)
    assert {"API Keys", "Webhooks", "Audit Logs"} <= {t["name"] for t in model.document["tags"]}


def test_prefix_scope_names_and_overrides(tmp_path: Path) -> None:
    document = {
        **BOOKSHELF,
        "x-specway-include": {
            "prefix": "/v2/",
            "scopes": {"read": "books:read", "write": "books:write"},
            "parts": [
                {
                    "part": "api-keys",
                    "operations": {
                        "createApiKey": {"summary": "Mint a bookshelf key"},
                        "revokeApiKey": False,
                    },
                }
            ],
        },
    }
    model = load_model(write_project(tmp_path, document))
    create = model.operation("createApiKey")
    assert create.path == "/v2/api-keys"
    assert create.summary == "Mint a bookshelf key"
    assert [r.schemes for r in create.security] == [(("keyAuth", ("books:write",)),)]
    assert "revokeApiKey" not in model.operations
    # delete was never mapped: it keeps the default name.
    assert model.scopes.names == ("books:read", "books:write")


def test_parts_go_where_the_apis_own_paths_start_unless_told(tmp_path: Path) -> None:
    document = yaml.safe_load(yaml.safe_dump(BOOKSHELF))
    document["paths"] = {f"/api/v2{path}": item for path, item in document["paths"].items()}
    model = load_model(write_project(tmp_path, document))
    assert model.operation("createApiKey").path == "/api/v2/api-keys"
    assert model.operation("listBooks").path == "/api/v2/books"


def test_the_documents_own_definitions_win(tmp_path: Path) -> None:
    document = yaml.safe_load(yaml.safe_dump(BOOKSHELF))
    document["components"]["schemas"] = {
        "ApiKey": {"type": "object", "properties": {"id": {"type": "string"}}}
    }
    document["paths"]["/api-keys"] = {
        "get": {
            "operationId": "listMyKeys",
            "tags": ["Books"],
            "summary": "Mine",
            "responses": {"200": {"description": "ok"}},
        }
    }
    loaded = load_spec_document(write_project(tmp_path, document))
    assert loaded["components"]["schemas"]["ApiKey"] == document["components"]["schemas"]["ApiKey"]
    assert loaded["paths"]["/api-keys"]["get"]["operationId"] == "listMyKeys"
    assert loaded["paths"]["/api-keys"]["post"]["operationId"] == "createApiKey"
    # Applying the includes again (a bundle loaded anew) changes nothing.
    again = tmp_path / "again"
    again.mkdir()
    assert load_spec_document(write_project(again, loaded)) == loaded


@pytest.mark.parametrize(
    ("include", "message", "fix"),
    [
        (["api-keys", "billing"], "unknown part 'billing'", ", ".join(sorted(PARTS))),
        (
            [{"part": "webhooks", "operations": {"nope": False}}],
            "part 'webhooks' has no operation 'nope'",
            "listWebhooks",
        ),
    ],
)
def test_bad_includes_are_lint_errors_naming_the_fix(
    tmp_path: Path, include: list[Any], message: str, fix: str
) -> None:
    document = {**BOOKSHELF, "x-specway-include": include}
    with pytest.raises(SpecError) as caught:
        load_spec_document(write_project(tmp_path, document))
    problems = caught.value.problems
    assert any(message in p.message and fix in (p.fix or "") for p in problems), problems


def test_a_project_outside_the_repo_mints_its_own_scopes_and_uses_the_parts(
    bookshelf: Path,
    app_factory: Callable[..., TestClient],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite+aiosqlite:///{bookshelf.parent / 'specway.db'}"
    monkeypatch.setenv("SPECWAY_DATABASE_URL", url)
    monkeypatch.setenv("SPECWAY_SECRET_KEY", SECRET)
    monkeypatch.chdir(bookshelf.parent)

    # A scope no operation uses is refused, with the valid ones listed.
    assert main(["keys", "generate", "--name", "x", "--scope", "books:delete"]) != 0
    err = capsys.readouterr().err
    assert "unknown scope books:delete" in err
    assert "books:read, books:write, api_keys:read" in err

    args = ["keys", "generate", "--name", "ci", "--scope", "books:read"]
    assert main([*args, "--scope", "api_keys:write", "--scope", "webhooks:write"]) == 0
    secret = capsys.readouterr().out.strip()
    client = app_factory(bookshelf, database_url=url)
    auth = {"Authorization": f"Bearer {secret}"}

    assert client.get("/books", headers=auth).status_code == 200
    denied = client.post("/books", json={"title": "Dune"}, headers=auth)
    assert denied.status_code == 403

    minted = client.post(
        "/api-keys", json={"name": "reader", "scopes": ["books:read"]}, headers=auth
    )
    assert minted.status_code == 201, minted.text
    assert minted.json()["scopes"] == ["books:read"]
    bad = client.post("/api-keys", json={"name": "x", "scopes": ["read"]}, headers=auth)
    assert bad.status_code == 400, bad.text
    assert "X-Request-ID" in bad.headers
    assert bad.json()["error"]["request_id"] == bad.headers["X-Request-ID"]

    listed = client.get("/api-keys", headers=auth)
    assert listed.status_code == 403  # the key holds api_keys:write, not api_keys:read
    hook = client.post(
        "/webhooks",
        json={"url": "http://127.0.0.1:9/in", "events": ["*"]},
        headers=auth,
    )
    assert hook.status_code == 201, hook.text
    assert hook.json()["secret"]
    spec = client.get("/openapi.json").json()
    assert {"/books", "/api-keys", "/webhooks", "/audit-logs"} <= set(spec["paths"])


def test_included_operations_are_in_the_projects_sdk_and_docs(
    bookshelf: Path, tmp_path: Path
) -> None:
    sdk, docs = tmp_path / "sdk", tmp_path / "docs"
    assert main(["codegen", "--spec", str(bookshelf), "python", "--out", str(sdk)]) == 0
    assert main(["codegen", "docs", "--spec", str(bookshelf), "--out", str(docs)]) == 0
    client = next(sdk.glob("*/_client.py")).read_text()
    for resource in ("BooksResource", "ApiKeysResource", "WebhooksResource", "AuditLogsResource"):
        assert f"class {resource}" in client
    assert "/api-keys" in (docs / "api-keys.md").read_text()
    assert "api_keys:write" in (docs / "api-keys.md").read_text()


def test_declared_scopes_are_the_set_and_an_undeclared_one_is_a_lint_error(
    tmp_path: Path,
) -> None:
    document = yaml.safe_load(yaml.safe_dump(BOOKSHELF))
    document["x-specway-include"] = {
        "scopes": {"read": "books:read", "write": "books:write", "delete": "books:write"},
        "parts": ["api-keys"],
    }
    document["x-specway-auth"] = {
        "scopes": ["books:read", "books:write", "books:admin"],
        "roles": {"viewer": ["books:read"], "member": ["books:read", "books:write"]},
    }
    model, problems = build_model(load_spec_document(write_project(tmp_path, document)))
    assert problems == []
    assert model.scopes.names == ("books:read", "books:write", "books:admin")
    assert model.scopes.for_role("member") == {"books:read", "books:write"}
    assert model.scopes.for_role("admin", frozenset({"books:admin", "other"})) == {"books:admin"}

    document["paths"]["/books"]["get"]["security"] = [{"keyAuth": ["books:list"]}]
    again = tmp_path / "again"
    again.mkdir()
    _, problems = build_model(load_spec_document(write_project(again, document)))
    assert [(p.pointer, p.message) for p in problems] == [
        ("/paths/~1books/get/security", "scope books:list is not in x-specway-auth.scopes")
    ]


def test_a_part_without_its_plugin_is_a_warning_and_answers_503(
    tmp_path: Path,
    app_factory: Callable[..., TestClient],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = {**BOOKSHELF, "x-specway-plugins": ["request_id", "errors", "auth"]}
    spec = write_project(tmp_path, document)
    _, problems = build_model(load_spec_document(spec))
    assert {(p.level, p.pointer, p.fix) for p in problems} == {
        ("warning", "/x-specway-include/1", "add webhooks to x-specway-plugins"),
        ("warning", "/x-specway-include/2", "add audit to x-specway-plugins"),
    }
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("SPECWAY_DATABASE_URL", url)
    monkeypatch.setenv("SPECWAY_SECRET_KEY", SECRET)
    args = ["keys", "generate", "--spec", str(spec), "--name", "ci"]
    assert main([*args, "--scope", "webhooks:read", "--scope", "audit_logs:admin"]) == 0
    auth = {"Authorization": f"Bearer {capsys.readouterr().out.strip()}"}
    client = app_factory(spec, database_url=url)
    for path in ("/webhooks", "/audit-logs"):
        answer = client.get(path, headers=auth)
        assert answer.status_code == 503, (path, answer.text)
        assert answer.json()["error"]["request_id"] == answer.headers["X-Request-ID"]


def test_shared_components_nothing_uses_are_left_out(tmp_path: Path) -> None:
    document = {**BOOKSHELF, "x-specway-include": ["audit-logs"]}
    components = load_model(write_project(tmp_path, document)).document["components"]
    # audit-logs answers 400/401/403/429 and others; no 404, 409, 413, 415, no pages.
    assert set(components["responses"]) == {
        "BadRequest",
        "Error",
        "Forbidden",
        "TooManyRequests",
        "Unauthorized",
    }
    assert "Page" not in components.get("parameters", {})
    assert "Link" not in components["headers"]
