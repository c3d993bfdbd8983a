"""Project configuration: JSON Merge Patch (RFC 7396) semantics and validation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from handlers.services.configuration import config_problems, config_schema, merge_patch
from specway.spec import load_model
from tests.conftest import REFERENCE_SPEC, write_variant
from tests.examples.support import EXAMPLES
from tests.handlers.platform.conftest import new_project
from tests.handlers.platform.fake_auth import bearer

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [
        # RFC 7396, appendix A (a selection), plus the nested and non-object cases.
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
        ({"a": "b"}, ["c"], ["c"]),
    ],
)
def test_merge_patch_rfc7396(target: Any, patch: Any, result: Any) -> None:
    before = repr(target)
    assert merge_patch(target, patch) == result
    assert repr(target) == before


@pytest.fixture
def client(database_url: str, platform_app: Callable[..., TestClient]) -> TestClient:
    return platform_app(database_url=database_url)


def test_get_and_merge_patch_config(client: TestClient) -> None:
    project = new_project(
        client,
        config={
            "environment": "staging",
            "region": "us-west-2",
            "scaling": {"min_instances": 1, "max_instances": 4},
        },
    )
    url = f"/v1/projects/{project['id']}/config"
    assert client.get(url).json() == project["config"]

    # The seed's example, as merge-patch+json: scaling merges member by member.
    patched = client.patch(
        url,
        json={"environment": "production", "scaling": {"max_instances": 10}},
        headers=MERGE_PATCH,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json() == {
        "environment": "production",
        "region": "us-west-2",
        "scaling": {"min_instances": 1, "max_instances": 10},
    }
    # null deletes, also nested; plain application/json is accepted too.
    deleted = client.patch(url, json={"region": None, "scaling": {"min_instances": None}})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"environment": "production", "scaling": {"max_instances": 10}}
    assert client.get(url).json() == deleted.json()
    assert client.get(f"/v1/projects/{project['id']}").json()["config"] == deleted.json()
    whole = client.patch(url, json={"scaling": None}, headers=MERGE_PATCH)
    assert whole.json() == {"environment": "production"}
    assert client.patch(url, json={}).json() == {"environment": "production"}


def test_invalid_results_are_400_naming_the_field(client: TestClient) -> None:
    project = new_project(client, config={"scaling": {"min_instances": 2, "max_instances": 4}})
    url = f"/v1/projects/{project['id']}/config"

    def field_of(patch: Any, headers: dict[str, str] | None = None) -> str:
        response = client.patch(url, json=patch, headers=headers or MERGE_PATCH)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["request_id"] == response.headers["x-request-id"]
        return str(response.json()["error"]["details"][0]["field"])

    # min > max only after merging with the stored config.
    assert field_of({"scaling": {"min_instances": 5}}) == "scaling.min_instances"
    assert field_of({"scaling": {"max_instances": 1}}) == "scaling.min_instances"
    assert field_of({"environment": "moon"}) == "environment"
    assert field_of({"region": "x" * 65}) == "region"
    unknown = client.patch(url, json={"replicas": 3}, headers=MERGE_PATCH)
    assert unknown.status_code == 400
    assert "replicas" in unknown.json()["error"]["details"][0]["reason"]
    assert field_of({"scaling": {"min_instances": -1}}) == "scaling.min_instances"
    response = client.patch(url, json=["not", "an", "object"], headers=MERGE_PATCH)
    assert response.status_code == 400
    assert client.get(url).json() == {"scaling": {"min_instances": 2, "max_instances": 4}}
    text = client.patch(url, content=b"region=x", headers={"Content-Type": "text/plain"})
    assert text.status_code in (400, 415)


def test_isolation_and_scopes(client: TestClient) -> None:
    project = new_project(client, config={"region": "us-west-2"})
    url = f"/v1/projects/{project['id']}/config"
    assert client.get(url, headers=bearer("org_other")).status_code == 404
    assert client.patch(url, json={"region": "x"}, headers=bearer("org_other")).status_code == 404
    assert client.get(url, headers=bearer(None, "read")).status_code == 200
    assert client.patch(url, json={"region": "x"}, headers=bearer(None, "read")).status_code == 403
    assert client.get("/v1/projects/proj_missing/config").status_code == 404


@pytest.mark.parametrize("of", [REFERENCE_SPEC, EXAMPLES / "versiontwo" / "openapi.yaml"])
def test_a_ref_inside_project_config_resolves(tmp_path: Path, of: Path) -> None:
    """``ProjectConfig`` may refer to other components: the validator gets them with the schema
    (a ``$ref`` inside it was a 500, PointerToNowhere), in either OpenAPI version's dialect (the
    reference is 3.1, VersionTwo 3.0)."""
    document = yaml.safe_load(of.read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    schemas["Scaling"] = schemas["ProjectConfig"]["properties"]["scaling"]
    schemas["ProjectConfig"]["properties"]["scaling"] = {"$ref": "#/components/schemas/Scaling"}
    spec = load_model(write_variant(document, tmp_path, of=of))
    schema = config_schema(spec)
    good = {"scaling": {"min_instances": 1, "max_instances": 3}}
    assert config_problems(good, schema) == []
    assert config_problems({"scaling": {"min_instances": -1}}, schema) == [
        {
            "field": "scaling.min_instances",
            "in": "body",
            "reason": "-1 is less than the minimum of 0",
        }
    ]
