"""``specway serve`` answers /docs, /openapi.json and /openapi.yaml outside the API."""

from __future__ import annotations

from collections.abc import Callable

import yaml
from starlette.testclient import TestClient

from specway.spec import load_spec_document
from tests.codegen.conftest import FIXTURES, ROOT


def test_docs_and_spec_are_served(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory()
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"] == "text/html; charset=utf-8"
    assert 'id="listProjects"' in docs.text
    assert docs.headers["x-request-id"]
    bundled = load_spec_document(ROOT / "openapi.yaml")
    as_json = client.get("/openapi.json")
    assert as_json.status_code == 200
    assert as_json.json()["paths"].keys() == bundled["paths"].keys()
    as_yaml = client.get("/openapi.yaml")
    assert as_yaml.status_code == 200
    assert yaml.safe_load(as_yaml.text)["info"] == bundled["info"]
    assert client.head("/docs").content == b""
    assert client.post("/docs").status_code in (404, 405)


def test_docs_describe_the_served_spec(app_factory: Callable[..., TestClient]) -> None:
    spec = FIXTURES / "minimal" / "openapi.yaml"
    client = app_factory(
        spec, plugins=("request_id", "errors"), handlers={"ping": lambda: ({"pong": True}, 200)}
    )
    html = client.get("/docs").text
    assert "Minimal — API reference" in html
    assert 'id="ping"' in html
    assert client.get("/openapi.json").json()["info"]["title"] == "Minimal"
