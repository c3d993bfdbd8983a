"""The query-parameter cap (issue 29 item 2): thousands of parameters are refused unparsed.

Before the cap, 7,000 ``a{i}=b`` pairs on ``/health``, ``/v1`` or the login cost about a second
of CPU each (Starlette's ``getlist`` per key, reached through Connexion's parameter parsing);
four looping clients pushed a normal request from 27 ms to 0.7-2.4 s.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette import datastructures
from starlette.testclient import TestClient

from specway.plugins.errors.query_limit import query_pair_count
from tests.conftest import REFERENCE_SPEC, write_variant
from tests.plugins.errors.test_error_envelope import STYLES, check, error_of

MANY = "&".join(f"a{i}=b" for i in range(7000))


@pytest.fixture
def parsed_queries(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the query strings anything parsed into Starlette ``QueryParams``."""
    seen: list[int] = []
    original = datastructures.QueryParams.__init__

    def recording(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        seen.append(len(self.multi_items()))

    monkeypatch.setattr(datastructures.QueryParams, "__init__", recording)
    return seen


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/health", None),
        ("GET", "/v1", None),
        ("POST", "/v1/auth/login", {"email": "a@example.com", "password": "wrong-password"}),
        ("POST", "/v1/auth/register", {"email": "b@example.com", "password": "long-password-1"}),
    ],
)
def test_thousands_of_parameters_are_refused_before_parsing(
    client: TestClient,
    parsed_queries: list[int],
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    reply = client.request(method, f"{path}?{MANY}", json=body)
    err = check("nested", reply, 400, "invalid_request")
    assert err["details"] == [
        {"field": "", "in": "query", "reason": "more than 100 query parameters"}
    ]
    assert max(parsed_queries, default=0) <= 100  # nothing parsed the 7,000 pairs


def test_up_to_the_cap_is_served(client: TestClient) -> None:
    at_cap = "&".join(f"a{i}=b" for i in range(100))
    assert client.get(f"/health?{at_cap}").status_code == 200
    assert client.get(f"/health?{at_cap}&one=more").status_code == 400
    assert client.get("/health?").status_code == 200


def test_the_cap_is_a_setting(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory(max_query_params=3)
    assert client.get("/health?a=1&b=2&c=3").status_code == 200
    refused = client.get("/health?a=1&b=2&c=3&d=4")
    assert refused.status_code == 400
    assert "more than 3 query parameters" in refused.text


@pytest.mark.parametrize("style", STYLES)
def test_every_envelope_style(
    style: str, app_factory: Callable[..., TestClient], tmp_path: Path
) -> None:
    doc = yaml.safe_load(REFERENCE_SPEC.read_text(encoding="utf-8"))
    doc["x-specway-errors"] = {"style": style}
    client = app_factory(write_variant(doc, tmp_path))
    reply = client.get(f"/v1?{MANY}")
    err = check(style, reply, 400, "invalid_request")
    assert err == error_of(style, reply.json())


def test_pairs_are_counted_without_parsing() -> None:
    assert query_pair_count(b"") == 0
    assert query_pair_count(b"a=1") == 1
    assert query_pair_count(b"a=1&b=2&a=3") == 3
    assert query_pair_count(b"&&") == 3  # an upper bound: parsers skip the empty pieces
