"""An OpenAPI 3.1 document served: routed through Connexion's 3.0 view, validated as 2020-12."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from specway.mock import schema_example
from specway.spec import load_model, load_spec_document
from specway.spec.oas30_view import as_openapi30

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "oas31" / "openapi.yaml"
VALID = {"name": "lamp", "kind": "gadget", "size": None, "dimensions": [1.5, 2], "tag": "desk"}


async def create_gadget(body: dict[str, Any]) -> Any:
    return {"id": "g_1", **{k: body[k] for k in ("name", "kind", "size")}}, 201


async def get_gadget(gadget_id: str, size: int | None = None, mode: str = "plain") -> Any:
    return {"id": gadget_id, "name": mode, "kind": "gadget", "size": size}


HANDLERS = {"createGadget": create_gadget, "getGadget": get_gadget}


@pytest.fixture
def gadgets(app_factory: Callable[..., TestClient]) -> TestClient:
    return app_factory(SPEC, handlers=HANDLERS)


def _fields(response: Any) -> list[str]:
    assert response.status_code == 400, response.text
    return [d["field"] for d in response.json()["error"]["details"]]


def test_a_valid_body_with_a_null_in_a_type_array_is_accepted(gadgets: TestClient) -> None:
    created = gadgets.post("/gadgets", json=VALID)
    assert created.status_code == 201, created.text
    assert created.json() == {"id": "g_1", "name": "lamp", "kind": "gadget", "size": None}
    assert gadgets.post("/gadgets", json={**VALID, "size": 3}).status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"size": "3"}, "size"),  # type: [integer, "null"]: a string is neither
        ({"size": -1}, "size"),  # minimum beside the type array
        ({"kind": "widget"}, "kind"),  # const
        ({"dimensions": [1, "2"]}, "dimensions.1"),  # prefixItems
        ({"dimensions": [1, 2, 3]}, "dimensions"),  # maxItems beside prefixItems
        ({"tag": "abcdefg"}, "tag"),  # $ref (maxLength 10) with a sibling maxLength 5
        ({"colour": "blue"}, "colour"),  # $ref into $defs
        ({"extra": 1}, ""),  # unevaluatedProperties: false
    ],
)
def test_2020_12_keywords_are_enforced_on_bodies(
    gadgets: TestClient, change: dict[str, Any], field: str
) -> None:
    assert _fields(gadgets.post("/gadgets", json={**VALID, **change})) == [field]


def test_a_missing_type_array_property_is_required(gadgets: TestClient) -> None:
    body = {k: v for k, v in VALID.items() if k != "size"}
    assert _fields(gadgets.post("/gadgets", json=body)) == ["size"]


def test_parameters_are_validated_with_2020_12_semantics(gadgets: TestClient) -> None:
    got = gadgets.get("/gadgets/g_1", params={"size": "7"})
    assert got.status_code == 200, got.text
    assert got.json()["size"] == 7
    assert gadgets.get("/gadgets/g_1", params={"size": "null"}).json()["size"] is None
    assert gadgets.get("/gadgets/g_1").json()["size"] is None
    assert _fields(gadgets.get("/gadgets/g_1", params={"size": "101"})) == ["size"]
    assert _fields(gadgets.get("/gadgets/g_1", params={"size": "big"})) == ["size"]
    assert _fields(gadgets.get("/gadgets/g_1", params={"mode": "fancy"})) == ["mode"]
    assert gadgets.get("/gadgets/g_1", params={"mode": "plain"}).status_code == 200
    assert _fields(gadgets.get("/gadgets/G-1")) == ["gadget_id"]


def test_the_document_is_served_as_written(gadgets: TestClient) -> None:
    served = gadgets.get("/openapi.json")
    assert served.status_code == 200
    document = served.json()
    assert document["openapi"] == "3.1.0"
    assert "gadget.created" in document["webhooks"]
    size = document["components"]["schemas"]["GadgetInput"]["properties"]["size"]
    assert size["type"] == ["integer", "null"]


def test_a_30_document_with_path_level_parameters_reports_each_once(
    app_factory: Callable[..., TestClient], tmp_path: Path
) -> None:
    # Connexion appends a path's parameters to its operations' own list once per middleware:
    # specway gives it the parameters copied into each operation instead.
    spec = tmp_path / "openapi.yaml"
    view = as_openapi30(load_spec_document(SPEC))
    assert view["paths"]["/gadgets/{gadget_id}"]["parameters"]
    spec.write_text(yaml.safe_dump(view), encoding="utf-8")
    gadgets = app_factory(spec, handlers=HANDLERS)
    assert _fields(gadgets.get("/gadgets/G-1")) == ["gadget_id"]
    assert _fields(gadgets.get("/gadgets/g_1", params={"size": "big"})) == ["size"]


def test_the_mock_server_answers_31_schemas_with_valid_values() -> None:
    model = load_model(SPEC)
    schemas = model.document["components"]["schemas"]
    assert schema_example(model, schemas["GadgetInput"]) == {
        "name": "lamp",  # examples: [lamp, kettle]
        "kind": "gadget",  # const
        "size": 0,  # type: [integer, "null"], minimum 0
        "dimensions": [0.0, 0.0],  # prefixItems
        "tag": "string",
        "colour": "red",
    }
