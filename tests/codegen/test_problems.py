"""Bad specs: one clear error naming every problem and pointer; no traceback, no output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from specway.cli import main
from specway.codegen import CodegenError, load_ir
from tests.codegen.conftest import minimal_document


def _problems(path: Path) -> list[str]:
    with pytest.raises(CodegenError) as info:
        load_ir(path)
    return [p.render() for p in info.value.problems]


def test_unresolved_ref_is_named_with_its_pointer(
    write_spec: Callable[[dict[str, Any]], Path],
) -> None:
    doc = minimal_document()
    doc["paths"]["/things"]["get"]["responses"]["200"]["content"] = {
        "application/json": {"schema": {"$ref": "#/components/schemas/Nope"}}
    }
    [problem] = _problems(write_spec(doc))
    assert "unresolved $ref '#/components/schemas/Nope'" in problem
    assert "#/paths/~1things/get/responses/200/content/application~1json/schema" in problem


def test_every_problem_is_reported_at_once(write_spec: Callable[[dict[str, Any]], Path]) -> None:
    doc = minimal_document(
        **{
            "/other": {"get": {"summary": "no id", "responses": {"200": {"description": "ok"}}}},
            "/a": {
                "get": {
                    "operationId": "getThing",
                    "tags": ["Things"],
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/b": {
                "get": {
                    "operationId": "get_thing",
                    "tags": ["Things"],
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/c": {
                "get": {
                    "operationId": "listWidgets",
                    "tags": ["API keys"],
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/d": {
                "get": {
                    "operationId": "listGadgets",
                    "tags": ["api-keys"],
                    "responses": {"200": {"description": "ok"}},
                }
            },
        }
    )
    doc["components"] = {
        "schemas": {
            "A": {
                "type": "object",
                "required": ["b"],
                "properties": {"b": {"$ref": "#/components/schemas/B"}},
            },
            "B": {
                "type": "object",
                "required": ["a"],
                "properties": {"a": {"$ref": "#/components/schemas/A"}},
            },
            "Alias": {"$ref": "#/components/schemas/Alias2"},
            "Alias2": {"allOf": [{"$ref": "#/components/schemas/Alias"}]},
            "user_name": {"type": "string"},
            "UserName": {"type": "string"},
            "Obj": {
                "type": "object",
                "properties": {"fooBar": {"type": "string"}, "foo_bar": {"type": "string"}},
            },
        }
    }
    text = "\n".join(_problems(write_spec(doc)))
    assert "#/paths/~1other/get: error: operation has no operationId" in text
    assert "'getThing', 'get_thing' collide after case conversion" in text
    assert "tags 'API keys', 'api-keys' collide" in text
    assert "schema cycle A → B → A cannot be rendered" in text
    assert "schema cycle Alias → Alias2 → Alias cannot be rendered" in text
    assert "schemas 'user_name', 'UserName' collide after case conversion" in text
    assert "#/components/schemas/Obj/properties/foo_bar" in text


def test_optional_and_array_recursion_is_fine(write_spec: Callable[[dict[str, Any]], Path]) -> None:
    doc = minimal_document()
    doc["components"] = {
        "schemas": {
            "Node": {
                "type": "object",
                "required": ["children"],
                "properties": {
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                    "next": {"$ref": "#/components/schemas/Node"},
                },
            }
        }
    }
    ir = load_ir(write_spec(doc))
    assert ir.schema("Node").example == {"children": [{"children": []}], "next": {"children": []}}


def test_cli_reports_problems_without_traceback_or_output(
    write_spec: Callable[[dict[str, Any]], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = minimal_document()
    del doc["paths"]["/things"]["get"]["operationId"]
    spec = write_spec(doc)
    out = tmp_path / "out"
    assert main(["codegen", "docs", "--spec", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "operation has no operationId" in err
    assert "Traceback" not in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["openapi.yaml"]  # no temp dirs left


def test_failed_render_leaves_previous_output_untouched(
    write_spec: Callable[[dict[str, Any]], Path], tmp_path: Path
) -> None:
    spec = write_spec(minimal_document())
    out = tmp_path / "docs"
    assert main(["codegen", "docs", "--spec", str(spec), "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "models.md.j2").write_text("{{ no_such_variable }}\n")
    rc = main(
        ["codegen", "docs", "--spec", str(spec), "--out", str(out), "--templates", str(templates)]
    )
    assert rc == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs", "openapi.yaml", "templates"]


def test_refuses_to_replace_a_directory_it_did_not_write(
    write_spec: Callable[[dict[str, Any]], Path], tmp_path: Path
) -> None:
    spec = write_spec(minimal_document())
    mine = tmp_path / "precious"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert main(["codegen", "docs", "--spec", str(spec), "--out", str(mine)]) == 2
    assert (mine / "notes.txt").read_text() == "keep me"
