"""``x-specway-versioning``: lint, negotiation, 406 in the envelope and the echoed media type."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from specway.plugins.versioning import Negotiated, negotiate
from specway.spec import VersioningConfig, build_model, load_spec_document
from tests.conftest import write_variant

ROOT = Path(__file__).resolve().parents[3]
CONFIG = VersioningConfig("acme", ("v1", "v2"), "v2")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/vnd.acme.v1+json", Negotiated("v1")),
        ("application/vnd.acme+json", Negotiated("v2")),
        ("Application/VND.Acme.V1+JSON", Negotiated("v1")),
        ("application/vnd.acme.v3+json, application/vnd.acme.v1+json", Negotiated("v1")),
        ("application/vnd.acme.v3+json", Negotiated(None, ("application/vnd.acme.v3+json",))),
        (
            "application/vnd.acme.v1+json;q=0, application/vnd.acme.v9+json",
            Negotiated(None, ("application/vnd.acme.v9+json",)),
        ),
        ("application/vnd.acme.v3+json, */*;q=0.1", None),
        (
            "application/vnd.acme.v3+json, application/json; q=0.000",
            Negotiated(None, ("application/vnd.acme.v3+json",)),
        ),
        ("application/vnd.acme.v1+json;q=bad", Negotiated("v1")),
        ("application/vnd.acme.v3+json, application/json", None),
        ("application/json", None),
        ("application/vnd.other.v1+json", None),
    ],
)
def test_negotiate(accept: str, expected: Negotiated | None) -> None:
    assert negotiate(CONFIG, accept) == expected


def _document(versioning: Any) -> dict[str, Any]:
    document = copy.deepcopy(load_spec_document(ROOT / "openapi.yaml"))
    document["x-specway-versioning"] = versioning
    return document


def test_model_reads_the_extension() -> None:
    model, problems = build_model(_document({"vendor": "acme", "versions": ["v1", "v2"]}))
    assert problems == []
    assert model.versioning == VersioningConfig("acme", ("v1", "v2"), "v2")
    assert model.versioning.media_type("v1") == "application/vnd.acme.v1+json"
    plain, _ = build_model(load_spec_document(ROOT / "openapi.yaml"))
    assert plain.versioning is None


@pytest.mark.parametrize(
    ("versioning", "pointer", "word"),
    [
        (
            {"vendor": "acme", "versions": ["v1"], "default": "v2"},
            "/x-specway-versioning/default",
            "v2",
        ),
        (
            {"vendor": "acme", "versions": ["1.0"]},
            "/x-specway-versioning/versions/0",
            "does not match",
        ),
        (
            {"vendor": "Acme Inc", "versions": ["v1"]},
            "/x-specway-versioning/vendor",
            "does not match",
        ),
        (
            {"vendor": "acme", "versions": ["v1"], "defualt": "v1"},
            "/x-specway-versioning",
            "defualt",
        ),
        ({"versions": ["v1"]}, "/x-specway-versioning", "vendor"),
    ],
)
def test_lint_reports_bad_versioning(versioning: Any, pointer: str, word: str) -> None:
    _, problems = build_model(_document(versioning))
    assert any(p.pointer == pointer and word in p.message + p.fix for p in problems), problems


@pytest.fixture
def acme(app_factory: Callable[..., TestClient], tmp_path: Path) -> TestClient:
    """The reference API, versioned as ``application/vnd.acme.v1+json`` (v1 only)."""
    return app_factory(write_variant(_document({"vendor": "acme", "versions": ["v1"]}), tmp_path))


def test_served_version_echoes_the_vendor_type(acme: TestClient) -> None:
    response = acme.get("/health", headers={"Accept": "application/vnd.acme.v1+json"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.acme.v1+json"
    assert response.json()["status"] == "ok"
    plain = acme.get("/health")
    assert plain.headers["content-type"] == "application/json"


def test_unserved_version_is_406_in_the_envelope(acme: TestClient) -> None:
    response = acme.get("/health", headers={"Accept": "application/vnd.acme.v2+json"})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "not_acceptable"
    assert error["request_id"] == response.headers["x-request-id"]
    assert error["details"] == {
        "requested": ["application/vnd.acme.v2+json"],
        "supported": ["application/vnd.acme.v1+json"],
    }


def test_errors_and_bodies_keep_working_with_the_vendor_type(acme: TestClient) -> None:
    vendor = {"Accept": "application/vnd.acme.v1+json"}
    unauthorized = acme.get("/v1/projects", headers=vendor)
    assert unauthorized.status_code == 401
    assert unauthorized.json()["error"]["code"] == "unauthorized"
    bad = acme.post(
        "/v1/auth/register", json={"email": "nope"}, headers={**vendor, "X-Request-ID": "r-1"}
    )
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/vnd.acme.v1+json"
    assert bad.json()["error"]["request_id"] == "r-1"
