"""The built-in plugin table is the one source: every list of plugin names is a view of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from specway.plugins import registry
from specway.spec import extensions, load_model, model
from specway.spec.extensions import SCHEMAS
from specway.spec.plugin_names import BUILTIN_PLUGINS, PluginEntry


def test_registry_views_equal_the_table() -> None:
    assert {p.name: p.target for p in BUILTIN_PLUGINS} == registry.BUILTIN
    assert list(registry.BUILTIN) == [p.name for p in BUILTIN_PLUGINS]
    assert tuple(p.name for p in BUILTIN_PLUGINS) == registry.INSTALL_ORDER
    assert tuple(p.name for p in BUILTIN_PLUGINS if p.required) == registry.REQUIRED


def test_spec_views_equal_the_table() -> None:
    names = [p.name for p in BUILTIN_PLUGINS]
    assert list(extensions.KNOWN_PLUGINS) == names
    # Any name passes the schema (third-party plugins); the description lists the built-ins.
    assert SCHEMAS["x-specway-plugins"]["items"] == {"type": "string", "minLength": 1}
    assert ", ".join(f"`{n}`" for n in names) in SCHEMAS["x-specway-plugins"]["description"]
    defaults = [p.name for p in BUILTIN_PLUGINS if p.default]
    assert list(model.DEFAULT_PLUGINS) == defaults
    assert SCHEMAS["x-specway-plugins"]["default"] == defaults
    # A spec that lists no plugins runs the table's defaults.
    minimal = Path(__file__).resolve().parents[1] / "fixtures" / "minimal" / "openapi.yaml"
    assert list(load_model(minimal).plugins) == defaults
    for p in BUILTIN_PLUGINS:
        if p.required:
            assert f"`{p.name}`" in SCHEMAS["x-specway-plugins"]["description"]


def test_names_are_unique_and_required_ones_exist() -> None:
    names = [p.name for p in BUILTIN_PLUGINS]
    assert len(names) == len(set(names))
    assert {"request_id", "errors"} <= set(registry.REQUIRED)


@pytest.mark.parametrize(
    "entry", [p for p in BUILTIN_PLUGINS if p.extension_key is not None], ids=lambda p: p.name
)
def test_extension_key_has_a_schema(entry: PluginEntry) -> None:
    assert entry.extension_key in SCHEMAS


@pytest.mark.parametrize("entry", BUILTIN_PLUGINS, ids=lambda p: p.name)
def test_every_builtin_target_imports(entry: PluginEntry) -> None:
    cls = registry.plugin_class(entry.name)
    assert cls.__name__ == entry.target.partition(":")[2]
    assert getattr(cls, "name", entry.name) == entry.name


def test_ordered_puts_required_first_in_table_order() -> None:
    assert registry.ordered(("webhooks", "auth")) == [
        n for n in registry.INSTALL_ORDER if n in {*registry.REQUIRED, "webhooks", "auth"}
    ]
