"""Duplicate keys in a JSON body are found (the validator answers 400), at any depth."""

from __future__ import annotations

import pytest

from specway.plugins.errors.validation import duplicate_key


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"name": "a", "name": "b"}', "name"),
        (b'{"config": {"x": 1, "x": 2}}', "x"),
        (b'[{"a": 1}, {"b": 1, "b": 2}]', "b"),
        (b'{"name": "a", "Name": "b"}', None),
        (b'{"a": {"a": 1}}', None),
        (b"[1, 2, 3]", None),
        (b'{"a": 1, "b": 2, "b": 3, "a": 4}', "b"),  # the first key seen a second time
        ('{"\\u00e9": 1, "é": 2}'.encode(), "é"),  # the same key once unescaped
        (b'{"k": [{"v": 1}, {"v": 2}], "z": {"y": {"x": 1, "w": 2}}}', None),
        (b'{"a": 1, "a": 1}', "a"),  # repeated with the same value still counts
    ],
)
def test_duplicate_key(body: bytes, expected: str | None) -> None:
    assert duplicate_key(body) == expected
