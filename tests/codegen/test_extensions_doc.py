"""``docs/extensions.md``: rendered from the extensions' JSON Schemas, complete, examples valid."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from specway.cli import main
from specway.codegen.extensions_doc import extension_docs, render_extensions_doc
from specway.codegen.generators import (
    framework_docs,
    is_framework_root,
    stale_pages,
    write_pages,
)
from specway.codegen.parse import CodegenError
from specway.settings import Settings
from specway.spec.extensions import SCHEMAS
from specway.spec.model import DEFAULT_PLUGINS, build_model
from tests.codegen.conftest import FIXTURES, ROOT, minimal_document


def _schemas_with_examples() -> list[tuple[str, dict[str, Any]]]:
    """Every key's schema and every property schema below it, named by a dotted path."""
    found: list[tuple[str, dict[str, Any]]] = []

    def walk(name: str, schema: dict[str, Any]) -> None:
        if "examples" in schema:
            found.append((name, schema))
        for prop, sub in schema.get("properties", {}).items():
            walk(f"{name}.{prop}", sub)
        values = schema.get("additionalProperties")
        if isinstance(values, dict):
            walk(f"{name}.<name>", values)
        for branch in schema.get("oneOf", ()):
            walk(name, branch)

    for key, schema in SCHEMAS.items():
        walk(key, schema)
    return found


def test_every_key_and_property_is_documented() -> None:
    text = render_extensions_doc()
    for doc in extension_docs():
        assert f"\n## `{doc.key}`\n" in text
        assert f"[`{doc.key}`](#{doc.key})" in text
        assert doc.levels != ("nowhere",), f"{doc.key} is allowed at no level"
    assert {doc.key for doc in extension_docs()} == set(SCHEMAS)
    documented = {name for name, _ in _schemas_with_examples()}
    for key, schema in SCHEMAS.items():
        for prop in schema.get("properties", {}):
            assert f"{key}.{prop}" in documented
            assert f"| `{prop}` |" in text
    assert "| `sandbox.reset_after` |" in text
    assert "| `policies.<name>.window` |" in text


@pytest.mark.parametrize(("name", "schema"), _schemas_with_examples(), ids=lambda v: str(v)[:40])
def test_each_example_validates_against_its_own_schema(name: str, schema: dict[str, Any]) -> None:
    Draft7Validator.check_schema(schema)
    for example in schema["examples"]:
        errors = [e.message for e in Draft7Validator(schema).iter_errors(example)]
        assert errors == [], f"{name}: example {example!r}: {errors}"
    if "default" in schema:
        assert list(Draft7Validator(schema).iter_errors(schema["default"])) == [], name


@pytest.mark.parametrize("key", sorted(SCHEMAS))
def test_key_example_reads_without_problems_where_the_reference_shows_it(key: str) -> None:
    """The YAML snippet's placement is real: a document carrying it builds without errors."""
    value = SCHEMAS[key]["examples"][0]
    doc = next(d for d in extension_docs() if d.key == key)
    document = minimal_document()
    level = SCHEMAS[key].get("x-example-at", "document" if "document" in doc.levels else None)
    if level == "document":
        document[key] = value
    else:
        operation = document["paths"]["/things"]["get"]
        operation[key] = value
    _, problems = build_model(document, str(FIXTURES / "minimal" / "openapi.yaml"))
    assert [p.render() for p in problems if p.level == "error"] == []


def test_plugins_default_is_the_models_default() -> None:
    assert SCHEMAS["x-specway-plugins"]["default"] == list(DEFAULT_PLUGINS)


def test_committed_page_is_the_render() -> None:
    committed = (ROOT / "docs" / "extensions.md").read_text(encoding="utf-8")
    assert committed == render_extensions_doc(), "run `specway codegen` and commit docs/"


def test_a_key_without_annotations_is_a_codegen_error() -> None:
    with pytest.raises(CodegenError) as caught:
        extension_docs({"x-specway-new": {"type": "boolean"}})
    assert "x-specway-new" in str(caught.value.problems[0].message)


def test_framework_docs_belong_to_specways_own_tree_only(tmp_path: Path) -> None:
    assert is_framework_root(ROOT)
    assert not is_framework_root(tmp_path)
    pages = framework_docs(Settings)
    assert stale_pages(pages, tmp_path) == ["docs/configuration.md", "docs/extensions.md"]
    write_pages(pages, tmp_path)
    assert stale_pages(pages, tmp_path) == []
    (tmp_path / "docs" / "extensions.md").write_text("edited by hand\n")
    assert stale_pages(pages, tmp_path) == ["docs/extensions.md"]
    project = tmp_path / "project"
    spec = FIXTURES / "minimal" / "openapi.yaml"
    assert main(["codegen", "--spec", str(spec), "--root", str(project)]) == 0
    assert (project / "docs" / "reference").is_dir()
    assert not (project / "docs" / "extensions.md").exists()
