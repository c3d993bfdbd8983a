"""OpenAPI 3.1 in ``specway.spec``: load, bundle, lint (version rules) and the 3.0 view."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from specway.cli import main
from specway.spec import Level, lint_document, load_model, load_spec_document, validate_document
from specway.spec.dialect import is_oas31, standalone_schema
from specway.spec.oas30_view import as_openapi30

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "oas31" / "openapi.yaml"


def _doc() -> dict[str, Any]:
    return copy.deepcopy(load_spec_document(SPEC))


def test_the_31_fixture_loads_validates_and_lints_clean() -> None:
    document = _doc()
    assert is_oas31(document)
    assert validate_document(document) == []
    assert lint_document(document, str(SPEC)) == []
    model = load_model(SPEC)
    assert set(model.webhook_events) == {"gadget.created"}
    assert set(model.operations) == {"createGadget", "getGadget"}


def test_bundling_keeps_the_siblings_of_a_ref(tmp_path: Path) -> None:
    tag = _doc()["components"]["schemas"]["GadgetInput"]["properties"]["tag"]
    assert tag == {
        "$ref": "#/components/schemas/Tag",
        "description": "At most 5 characters here, though a Tag may have 10.",
        "maxLength": 5,
    }


def test_nullable_in_a_31_document_is_read_as_a_type_array(tmp_path: Path) -> None:
    raw = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    raw["components"]["schemas"]["Tag"] = {"type": "string", "nullable": True, "enum": ["a"]}
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(raw), encoding="utf-8")
    loaded = load_spec_document(spec)
    assert loaded["components"]["schemas"]["Tag"] == {
        "type": ["string", "null"],
        "enum": ["a", None],
    }
    # ... and lint tells the author to write it so (specway reads it, other tools do not).
    problems = lint_document(loaded, str(spec))
    assert [(p.pointer, p.level) for p in problems] == [
        ("/components/schemas/Tag/nullable", Level.WARNING)
    ]
    assert problems[0].fix == "write type: [string, 'null']"


def test_3_0_constructs_in_a_31_document_are_flagged_with_the_fix() -> None:
    document = _doc()
    document["x-webhooks"] = document.pop("webhooks")
    document["components"]["schemas"]["Tag"]["nullable"] = True
    found = {p.pointer: p for p in lint_document(document)}
    assert found["/x-webhooks"].fix == "rename x-webhooks to webhooks"
    assert found["/components/schemas/Tag/nullable"].fix == "write type: [string, 'null']"
    assert load_model(SPEC).webhook_events  # and x-webhooks is still read meanwhile


@pytest.mark.parametrize(
    ("keyword", "value", "feature"),
    [
        ("$dynamicRef", "#meta", "$dynamicRef"),
        ("$id", "https://example.com/tag", "$id"),
        ("$schema", "http://json-schema.org/draft-07/schema#", "$schema"),
    ],
)
def test_a_2020_12_feature_specway_cannot_honour_is_a_lint_error(
    keyword: str, value: str, feature: str
) -> None:
    document = _doc()
    document["components"]["schemas"]["Tag"][keyword] = value
    errors = [p for p in lint_document(document) if p.level == Level.ERROR]
    assert [p.pointer for p in errors] == [f"/components/schemas/Tag/{keyword.replace('/', '~1')}"]
    assert feature in errors[0].message
    assert "not supported" in errors[0].message


def test_prefix_items_in_a_parameter_is_a_lint_error() -> None:
    document = _doc()
    param = document["paths"]["/gadgets/{gadget_id}"]["get"]["parameters"][0]
    param["schema"] = {"type": "array", "prefixItems": [{"type": "integer"}]}
    errors = [p for p in lint_document(document) if p.level == Level.ERROR]
    assert [p.pointer for p in errors] == [
        "/paths/~1gadgets~1{gadget_id}/get/parameters/0/schema/prefixItems"
    ]


def test_31_constructs_in_a_30_document_are_flagged_with_the_fix() -> None:
    document = as_openapi30(_doc())
    schemas = document["components"]["schemas"]
    schemas["Gadget"]["properties"]["size"] = {"type": ["integer", "null"]}
    schemas["Gadget"]["properties"]["kind"] = {"const": "gadget"}
    schemas["Tag"]["examples"] = ["desk"]
    document["webhooks"] = document.pop("x-webhooks")
    found = {p.pointer: p for p in lint_document(document)}
    assert found["/components/schemas/Gadget/properties/size/type"].fix == (
        "write type: integer with nullable: true"
    )
    assert found["/components/schemas/Gadget/properties/kind/const"].fix == "use enum: [<value>]"
    assert found["/components/schemas/Tag/examples"].fix == "use example: <one value>"
    assert "x-webhooks" in found["/webhooks"].fix


def test_the_30_view_is_a_valid_30_document_with_the_same_operations() -> None:
    document = _doc()
    view = as_openapi30(document)
    assert view["openapi"] == "3.0.3"
    assert document["openapi"] == "3.1.0"
    assert validate_document(view) == []
    schemas = view["components"]["schemas"]
    props = schemas["GadgetInput"]["properties"]
    assert props["size"] == {
        "description": "Its size, or null when unknown.",
        "type": "integer",
        "nullable": True,
        "minimum": 0,
    }
    assert props["kind"] == {
        "description": "Always `gadget`.",
        "enum": ["gadget"],
        "type": "string",
    }
    assert props["dimensions"]["items"] == {"type": "number"}
    assert props["tag"] == {"$ref": "#/components/schemas/Tag"}  # maxLength: the document's
    assert props["colour"] == {"$ref": "#/components/schemas/GadgetInput/x-specway-defs/Colour"}
    assert set(view["x-webhooks"]) == {"gadget.created"}
    assert view["paths"]["/gadgets/{gadget_id}"]["parameters"][0]["name"] == "gadget_id"
    item = as_openapi30(document, for_connexion=True)["paths"]["/gadgets/{gadget_id}"]
    assert "parameters" not in item  # pushed down into the operation
    assert [p["name"] for p in item["get"]["parameters"]] == ["size", "mode", "gadget_id"]


def test_standalone_schema_carries_the_components_it_reaches() -> None:
    document = _doc()
    body = document["paths"]["/gadgets"]["post"]["requestBody"]["content"]["application/json"]
    schema = standalone_schema(document, body["schema"])
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["components"]["schemas"]) == {"GadgetInput", "Tag"}


def test_spec_lint_says_which_version_it_read(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "lint", str(SPEC)]) == 0
    err = capsys.readouterr().err
    assert "read as OpenAPI 3.1.0 (schemas: JSON Schema 2020-12" in err


def test_path_items_from_components_are_where_they_are_served(tmp_path: Path) -> None:
    raw = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    raw["components"]["pathItems"] = {
        "Gadgets": raw["paths"].pop("/gadgets"),
        "Created": raw["webhooks"].pop("gadget.created"),
    }
    raw["paths"]["/gadgets"] = {"$ref": "#/components/pathItems/Gadgets"}
    raw["webhooks"]["gadget.created"] = {"$ref": "#/components/pathItems/Created"}
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(raw), encoding="utf-8")
    model = load_model(spec)
    assert set(model.operations) == {"createGadget", "getGadget"}
    assert set(model.webhook_events) == {"gadget.created"}
    assert lint_document(load_spec_document(spec), str(spec)) == []


def test_a_keyword_a_form_body_would_ignore_is_a_lint_error() -> None:
    document = _doc()
    content = document["paths"]["/gadgets"]["post"]["requestBody"]["content"]
    content["application/x-www-form-urlencoded"] = {
        "schema": {"$ref": "#/components/schemas/GadgetInput"}
    }
    content["application/x-www-form-urlencoded"]["example"] = {"name": "lamp"}
    errors = [p for p in lint_document(document) if p.level == Level.ERROR]
    assert sorted(p.pointer for p in errors) == [
        "/components/schemas/GadgetInput/properties/dimensions/prefixItems",
        "/components/schemas/GadgetInput/unevaluatedProperties",
    ]
    assert "application/x-www-form-urlencoded body" in errors[0].message
