"""header_content_type agrees with Connexion's extract_content_type on ASGI and handler headers."""

from __future__ import annotations

from typing import Any

import pytest
from connexion.utils import extract_content_type

from specway.types import header_content_type


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/plain"},
        {"content-type": "application/problem+json", "X-Other": "1"},
        {"CONTENT-TYPE": "text/csv; charset=utf-8"},
        {"Link": '</v1/projects?page=1>; rel="first"', "X-Total-Count": "60"},
        [(b"content-type", b"application/json"), (b"x-a", b"b")],
        [("X-A", "b"), ("Content-Type", "text/html")],
        [(b"x-a", b"b")],
        {},
    ],
)
def test_same_answer_as_connexion(headers: Any) -> None:
    assert header_content_type(headers) == extract_content_type(headers)


def test_first_of_repeated_headers_wins() -> None:
    headers = [(b"content-type", b"text/plain"), (b"Content-Type", b"text/html")]
    assert header_content_type(headers) == "text/plain" == extract_content_type(headers)
