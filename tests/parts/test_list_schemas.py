"""The list schemas an include writes describe the bodies ``list_response`` sends, per style."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from specway.pagination import PageRequest, list_response
from specway.spec.extensions import PaginationConfig
from specway.spec.include import list_schema


def _nullable_as_type_arrays(node: Any) -> Any:
    """The OpenAPI 3.0 ``nullable`` of the include's schemas, as JSON Schema reads it."""
    if isinstance(node, dict):
        out = {k: _nullable_as_type_arrays(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable") and isinstance(node.get("type"), str):
            out["type"] = [node["type"], "null"]
        return out
    if isinstance(node, list):
        return [_nullable_as_type_arrays(v) for v in node]
    return node


@pytest.mark.parametrize("style", ["page", "drf", "meta", "keyed", "status-wrapped"])
@pytest.mark.parametrize(("page", "total"), [(1, 0), (1, 5), (2, 5), (3, 5)])
def test_each_styles_body_matches_its_schema(style: str, page: int, total: int) -> None:
    schemas: dict[str, Any] = {"Item": {"type": "object", "required": ["id"]}}
    schema = list_schema(style, "books", "Item", schemas)
    document = {"components": {"schemas": {**schemas, "List": schema}}}
    validator = Draft202012Validator(
        {**_nullable_as_type_arrays(document), "$ref": "#/components/schemas/List"}
    )
    items = [{"id": f"b{n}"} for n in range(min(2, max(0, total - (page - 1) * 2)))]
    config = PaginationConfig(style=style, key="books")  # type: ignore[arg-type]
    body, _ = list_response(config, items, total, PageRequest(page, 2), "/books", {})
    assert list(validator.iter_errors(body)) == []
    # A body missing one of the schema's required members is refused: the check can fail.
    broken = dict(body)
    broken.pop(next(iter(schema["required"])))
    assert list(validator.iter_errors(broken))
