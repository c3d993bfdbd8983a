"""A spec file is parsed once per content; every load still gets its own copy."""

from __future__ import annotations

from pathlib import Path

from specway.spec.loader import read_document


def test_same_content_gives_equal_independent_copies(tmp_path: Path) -> None:
    path = tmp_path / "openapi.yaml"
    path.write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n")
    first = read_document(path)
    first["info"]["title"] = "changed by a caller"
    second = read_document(path)
    assert second == {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}}
    assert second is not first


def test_new_content_is_parsed_again(tmp_path: Path) -> None:
    path = tmp_path / "openapi.yaml"
    path.write_text("openapi: 3.0.3\ninfo: {title: one, version: '1'}\npaths: {}\n")
    assert read_document(path)["info"]["title"] == "one"
    path.write_text("openapi: 3.0.3\ninfo: {title: two, version: '1'}\npaths: {}\n")
    assert read_document(path)["info"]["title"] == "two"
