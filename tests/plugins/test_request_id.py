from __future__ import annotations

import pytest
from starlette.testclient import TestClient


def test_generated_when_absent(client: TestClient) -> None:
    rid = client.get("/v1").headers["x-request-id"]
    assert rid.startswith("req_")
    assert rid != client.get("/v1").headers["x-request-id"]


def test_sane_client_id_is_echoed_in_header_and_error(client: TestClient) -> None:
    response = client.get("/v1/projects/proj_nope", headers={"X-Request-ID": "abc-123_X.y"})
    assert response.headers["x-request-id"] == "abc-123_X.y"
    assert response.json()["error"]["request_id"] == "abc-123_X.y"


@pytest.mark.parametrize("bad", ["x" * 129, "has space", "semi;colon", "ünï", ""])
def test_insane_client_id_is_replaced(client: TestClient, bad: str) -> None:
    response = client.get("/v1", headers={"X-Request-ID": bad.encode("utf-8")})
    assert response.headers["x-request-id"].startswith("req_")
