"""Page links keep the other query parameters, encoded, whether or not they were seen before."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from specway.pagination import list_response, page_request
from specway.spec import PaginationConfig

CONFIG = PaginationConfig()


def _links(query: dict[str, Any], page: int = 2, total: int = 60) -> dict[str, str]:
    request = page_request(CONFIG, page, 20)
    body, headers = list_response(CONFIG, [], total, request, "/v1/projects", query)
    assert headers["X-Total-Count"] == str(total)
    links: dict[str, str] = body["links"]
    return links


@pytest.mark.parametrize("repeat", [1, 2])  # the second call is served from the cache
def test_links_carry_filters_encoded(repeat: int) -> None:
    for _ in range(repeat):
        links = _links({"sort": "name", "order": "asc", "search": "a&b c/ü", "status": None})
    parsed = urlsplit(links["next"])
    assert parsed.path == "/v1/projects"
    assert parse_qs(parsed.query) == {
        "sort": ["name"],
        "order": ["asc"],
        "search": ["a&b c/ü"],
        "page": ["3"],
        "per_page": ["20"],
    }
    assert links["prev"].endswith("page=1&per_page=20")


def test_list_values_repeat_the_parameter() -> None:
    links = _links({"tag": ["x", "y z"]})
    assert parse_qs(urlsplit(links["first"]).query) == {
        "tag": ["x", "y z"],
        "page": ["1"],
        "per_page": ["20"],
    }


def test_no_filters_and_the_page_parameters_themselves_are_dropped() -> None:
    links = _links({"page": 7, "per_page": 5, "search": None})
    assert links["first"] == "/v1/projects?page=1&per_page=20"
    assert links["last"] == "/v1/projects?page=3&per_page=20"


def test_a_changed_body_leaves_the_next_pages_links_alone() -> None:
    first = _links({"sort": "name"})
    first["next"] = "/elsewhere"
    first.pop("last")
    again = _links({"sort": "name"})
    assert again["next"] == "/v1/projects?sort=name&page=3&per_page=20"
    assert again["last"] == "/v1/projects?sort=name&page=3&per_page=20"


def test_link_header_lists_the_pages_there_are() -> None:
    request = page_request(CONFIG, 1, 20)
    _, headers = list_response(CONFIG, [], 5, request, "/v1/projects", {})
    assert headers["Link"] == (
        '</v1/projects?page=1&per_page=20>; rel="first", '
        '</v1/projects?page=1&per_page=20>; rel="last"'
    )
    _, empty = list_response(CONFIG, [], 0, request, "/v1/projects", {})
    assert empty["Link"].endswith('rel="last"')
    assert empty["X-Total-Count"] == "0"
