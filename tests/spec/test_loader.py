from __future__ import annotations

from pathlib import Path

import pytest

from specway.spec import SpecError, load_spec_document, validate_document

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_bundles_relative_file_refs_and_hoists_recursive_schemas() -> None:
    doc = load_spec_document(FIXTURES / "multifile" / "openapi.yaml")
    media = doc["paths"]["/nodes"]["get"]["responses"]["200"]["content"]["application/json"]
    assert media["schema"] == {"$ref": "#/components/schemas/Node"}
    node = doc["components"]["schemas"]["Node"]
    assert node["properties"]["children"]["items"] == {"$ref": "#/components/schemas/Node"}
    default = doc["paths"]["/nodes"]["get"]["responses"]["default"]
    assert default["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert validate_document(doc) == []


def test_unresolved_refs_are_all_reported_with_pointers(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n"
        "  /a:\n    get:\n      responses:\n"
        "        '200': {$ref: '#/components/responses/Missing'}\n"
        "        '404': {$ref: 'nope.yaml#/X'}\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as info:
        load_spec_document(spec)
    pointers = sorted(p.pointer for p in info.value.problems)
    assert pointers == ["/paths/~1a/get/responses/200", "/paths/~1a/get/responses/404"]
    assert all(p.file == str(spec) for p in info.value.problems)


def test_yaml_syntax_error_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: [3.0.3\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec_document(spec)
    assert "not valid YAML" in info.value.problems[0].message


def test_openapi_31_is_validated_and_other_versions_are_refused_with_a_fix() -> None:
    info = {"title": "t", "version": "1"}
    assert validate_document({"openapi": "3.1.0", "info": info, "paths": {}}) == []
    broken = validate_document({"openapi": "3.1.0", "info": info, "paths": {}, "bad": 1})
    assert broken
    assert "3.1" in broken[0].fix
    problems = validate_document({"openapi": "3.2.0", "info": info, "paths": {}})
    assert problems[0].pointer == "/openapi"
    assert "3.1.0" in problems[0].fix
