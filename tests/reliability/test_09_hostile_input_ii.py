"""Hostile input, second round (issue 29, items 1, 5 and 6): what an outside attacker sent.

In process (``app_factory``), on SQLite and on the real PostgreSQL, with the full plugin stack:

* item 1 — a 300 KB ``.env`` of 150,000 ``x`` lines stalled every request for ~12 s and
  answered with a 13.5 MB error list; 20,000 variables went in one import. Now: at most 1,000
  variables (413) and 100 unreadable lines (400), the file read in a worker thread.
* item 5 — ``"\\u0000"`` in a name, email, ``search`` or a filter gave a 500 on PostgreSQL and
  the log line printed the SQL parameters (scrypt hashes, API-key digests). Now: 400 in the
  envelope at validation, and the engine hides parameters from every statement error.
* item 6 — ``expires_at: "9999-12-31T23:59:59-14:00"`` (year 10000 in UTC) or webhook
  ``recover`` ``since`` at the calendar's edge raised ``OverflowError`` (500). Now: 400 naming
  the field.

Item 2 (thousands of query parameters) is tested with the errors plugin
(``tests/plugins/errors/test_query_limit.py``); item 4 (exports that run code when sourced)
with the .env format (``tests/handlers/reference/test_envfile.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, MutableMapping
from typing import Any
from urllib.parse import unquote

import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.testclient import TestClient

from handlers.services import envfile, transfer
from specway import context
from specway.app import resolve_handlers
from specway.spec import load_model
from tests.conftest import REFERENCE_SPEC, AuthIdentity

NUL = "\u0000"
SECRET_PARAMETER = "scrypt$10$8$1$not-a-real-salt$not-a-real-hash"


@pytest.fixture
def api(app_factory: Callable[..., TestClient], database_url: str) -> tuple[TestClient, str]:
    """The reference API on SQLite and PostgreSQL; ``GET /v1`` runs a failing statement."""
    handlers = resolve_handlers(load_model(REFERENCE_SPEC))
    handlers["getApiIndex"] = _statement_with_a_secret_parameter
    return app_factory(database_url=database_url, handlers=handlers), database_url


async def _statement_with_a_secret_parameter(**_: Any) -> Any:
    """A statement that fails in the database with a secret among its parameters."""
    async with context.database().session() as session:
        await session.execute(
            text("INSERT INTO projects (id) VALUES (:secret)"), {"secret": SECRET_PARAMETER}
        )
    return {}, 200


def raw_get(client: TestClient, raw_path: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """``GET raw_path`` as uvicorn hands it over (``%00`` decoded into ``path``); httpx itself
    refuses to send a URL whose path decodes to a NUL."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        await client.app(scope, receive, send)

    assert client.portal is not None
    client.portal.call(run)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return int(status), body


def assert_envelope_400(reply: Any, field: str, where: str) -> None:
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert error["code"] == "invalid_request"
    assert {"field": field, "in": where, "reason": "contains a NUL character"} in error["details"]


def test_nul_in_strings_is_a_400_and_no_hash_reaches_the_log(
    api: tuple[TestClient, str],
    auth_factory: Callable[..., AuthIdentity],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, _ = api
    caplog.set_level(logging.DEBUG)
    who = auth_factory(client)
    password = "long-password-1"
    for path, body, field in [
        ("/v1/auth/register", {"email": f"a{NUL}@example.com", "password": password}, "email"),
        ("/v1/auth/register", {"email": "b@x.io", "password": f"{NUL}{password}"}, "password"),
        ("/v1/auth/login", {"email": NUL, "password": password}, "email"),
        ("/v1/auth/login", {"email": who.email, "password": f"{NUL}{who.password}"}, "password"),
    ]:  # fmt: skip
        assert_envelope_400(client.post(path, json=body), field, "body")
    headers = who.headers
    assert_envelope_400(
        client.post("/v1/projects", json={"name": f"web{NUL}"}, headers=headers), "name", "body"
    )
    nested = {"name": "ok", "config": {"region": "eu", f"k{NUL}": [1, {"deep": f"v{NUL}"}]}}
    reply = client.post("/v1/projects", json=nested, headers=headers)
    assert_envelope_400(reply, "config.k\\u0000", "body")
    assert_envelope_400(client.get("/v1/projects?search=%00", headers=headers), "search", "query")
    assert_envelope_400(
        client.get("/v1/environments?project=proj%00x", headers=headers), "project", "query"
    )
    status, raw = raw_get(client, b"/v1/projects/proj_%00", headers)
    assert status == 400
    assert {"field": "project_id", "in": "path", "reason": "contains a NUL character"} in (
        orjson.loads(raw)["error"]["details"]
    )
    # Nothing above reached the database, so nothing could have leaked; a statement that does
    # fail there must not put its parameters in the log either (SQLAlchemy hide_parameters).
    assert client.get("/v1").status_code == 500
    logged = caplog.text
    assert "unhandled error" in logged
    assert "SQL parameters hidden" in logged
    assert SECRET_PARAMETER not in logged
    assert "scrypt$" not in logged
    assert "[parameters:" not in logged


def test_statement_errors_never_quote_their_parameters(api: tuple[TestClient, str]) -> None:
    client, url = api
    database = client.app.state.database  # type: ignore[attr-defined]

    async def fail() -> str:
        async with database.session() as session:
            try:
                await session.execute(
                    text("INSERT INTO projects (id) VALUES (:s)"), {"s": SECRET_PARAMETER}
                )
            except DBAPIError as exc:
                return str(exc)
        raise AssertionError(f"the insert did not fail on {url}")

    message = client.portal.call(fail)  # type: ignore[union-attr]
    assert SECRET_PARAMETER not in message
    assert "SQL parameters hidden" in message


@pytest.mark.parametrize(
    "moment",
    ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59.999999-00:01"],
)
def test_dates_at_the_calendars_edge_are_a_400_naming_the_field(
    api: tuple[TestClient, str], auth_factory: Callable[..., AuthIdentity], moment: str
) -> None:
    client, _ = api
    who = auth_factory(client)
    key = client.post(
        "/v1/api-keys",
        json={"name": "edge", "scopes": ["read"], "expires_at": moment},
        headers=who.session_headers,
    )
    assert key.status_code == 400, key.text
    assert key.json()["error"]["details"][0]["field"] == "expires_at"
    webhook = client.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["*"]},
        headers=who.headers,
    )
    assert webhook.status_code == 201, webhook.text
    path = f"/v1/webhooks/{webhook.json()['id']}/recover"
    since = {"since": moment}
    until = {"since": "2024-01-01T00:00:00Z", "until": moment}
    for body, field in ((since, "since"), (until, "until")):
        reply = client.post(path, json=body, headers=who.headers)
        assert reply.status_code == 400, reply.text
        assert reply.json()["error"]["details"][0]["field"] == field


def test_the_far_future_that_fits_is_accepted(
    api: tuple[TestClient, str], auth_factory: Callable[..., AuthIdentity]
) -> None:
    client, _ = api
    who = auth_factory(client)
    key = client.post(
        "/v1/api-keys",
        json={"name": "far", "scopes": ["read"], "expires_at": "9999-12-31T09:59:59-14:00"},
        headers=who.session_headers,
    )
    assert key.status_code == 201, key.text
    assert key.json()["expires_at"] == "9999-12-31T23:59:59Z"


def environment(client: TestClient, who: AuthIdentity) -> str:
    project = client.post("/v1/projects", json={"name": "import"}, headers=who.headers)
    assert project.status_code == 201, project.text
    body = {"name": "prod", "project": project.json()["id"], "environment_type": "production"}
    created = client.post("/v1/environments", json=body, headers=who.headers)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def upload(client: TestClient, who: AuthIdentity, env_id: str, content: bytes) -> Any:
    return client.post(
        f"/v1/environments/{env_id}/import",
        files={"file": (".env", content, "text/plain")},
        headers=who.headers,
    )


def test_env_import_is_bounded_and_read_off_the_event_loop(
    api: tuple[TestClient, str],
    auth_factory: Callable[..., AuthIdentity],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, _ = api
    who = auth_factory(client)
    env_id = environment(client, who)
    on_loop: list[bool] = []
    parse = envfile.parse_dotenv

    def recording(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return parse(*args, **kwargs)

    monkeypatch.setattr(transfer, "parse_dotenv", recording)

    garbage = upload(client, who, env_id, b"x\n" * 150_000)  # 300 KB, as in the report
    assert garbage.status_code == 400, garbage.text[:300]
    assert len(garbage.content) < 2_000  # was 13.5 MB for 200,000 lines
    assert garbage.json()["error"]["details"][0]["reason"] == (
        "more than 100 unreadable lines by line 101"
    )

    too_many = "".join(f"K{i}=v\n" for i in range(transfer.MAX_IMPORT_VARIABLES + 1)).encode()
    refused = upload(client, who, env_id, too_many)
    assert refused.status_code == 413, refused.text[:300]
    assert refused.json()["error"]["details"]["max_variables"] == transfer.MAX_IMPORT_VARIABLES
    listed = client.get(f"/v1/environments/{env_id}/variables", headers=who.headers)
    assert listed.json()["data"] == []  # nothing was imported

    at_limit = too_many[: too_many.rindex(b"K")]
    accepted = upload(client, who, env_id, at_limit)
    assert accepted.status_code == 200, accepted.text[:300]
    assert accepted.json()["summary"]["imported"] == transfer.MAX_IMPORT_VARIABLES

    some_bad = b"A=1\n" + b"x\n" * 100 + b"B=2\n"
    reported = upload(client, who, env_id, some_bad)
    assert reported.status_code == 200, reported.text[:300]
    assert reported.json()["summary"]["failed"] == 100
    assert on_loop == [False, False, False, False]
