"""Connexion's spec validation runs once per distinct document, and never hides a bad one."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from connexion.exceptions import InvalidSpecification
from connexion.spec import Specification

from specway import compat, spec_validation_cache

DOC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {"/ping": {"get": {"responses": {"200": {"description": "ok"}}}}},
}


def test_a_valid_document_is_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    spec_validation_cache.install()
    spec_validation_cache.install()  # idempotent: not wrapped twice
    checked: list[Any] = []
    original = spec_validation_cache.jsonschema_validate
    monkeypatch.setattr(
        spec_validation_cache,
        "jsonschema_validate",
        lambda cls, spec: checked.append(spec) or original(cls, spec),
    )
    doc = copy.deepcopy(DOC)
    doc["info"]["title"] = "checked once"
    Specification.load(copy.deepcopy(doc))
    Specification.load(copy.deepcopy(doc))
    assert len(checked) == 1
    doc["info"]["title"] = "another document"
    Specification.load(doc)
    assert len(checked) == 2


def test_an_invalid_document_fails_every_time() -> None:
    spec_validation_cache.install()
    bad = copy.deepcopy(DOC)
    bad["paths"]["/ping"]["get"]["responses"]["200"] = {"no": "description"}
    for _ in range(2):
        with pytest.raises(InvalidSpecification):
            Specification.load(copy.deepcopy(bad))


def test_uninstall_puts_connexions_check_back() -> None:
    """What an app built with ``SPECWAY_FAST_PATHS=0`` does: every load is checked again."""
    spec_validation_cache.install()
    memoised = compat.spec_check()
    spec_validation_cache.uninstall()
    spec_validation_cache.uninstall()  # idempotent
    try:
        assert compat.spec_check() is not memoised
        checked: list[Any] = []
        original = compat.spec_check()

        def counted(cls: type[Specification], spec: Any) -> None:
            checked.append(spec)
            original(cls, spec)

        compat.replace_spec_check(counted)
        for _ in range(2):
            Specification.load(copy.deepcopy(DOC))
        assert len(checked) == 2
    finally:
        spec_validation_cache.install()
