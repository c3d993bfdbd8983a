"""``spec lint`` and startup know third-party plugins: their names and their extensions."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from specway.cli import main
from specway.errors import ConfigError
from specway.plugins import registry
from specway.spec import Problem, SpecError, build_model, lint_document, load_model
from specway.spec.plugin_names import PLUGIN_NAMES
from tests.plugins.third_party.support import SitePackages

DEMO = """
from specway.plugins.api import AppBuilder, SpecwayPlugin


class Plugin(SpecwayPlugin):
    name = "demo"
    extension_key = "x-demo"
    extension_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "limit": {"type": "integer", "minimum": 1},
            "mode": {"enum": ["strict", "lenient"]},
            "networks": {"type": "array", "items": {"type": "string"}},
        },
    }
    extension_levels = ("document", "operation")

    def install(self, builder: AppBuilder) -> None:
        pass
"""

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Demo", "version": "1"},
    "x-specway-plugins": ["request_id", "errors", "demo"],
    "paths": {
        "/ping": {
            "get": {
                "operationId": "ping",
                "summary": "Ping",
                "tags": ["Ping"],
                "security": [],
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
}


def document(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DOCUMENT)
    doc.update(changes)
    return doc


def problems_at(doc: dict[str, Any], prefix: str) -> list[Problem]:
    _, problems = build_model(doc)
    return [p for p in problems if p.pointer.startswith(prefix)]


def test_an_installed_plugin_is_enabled_by_name(site: SitePackages) -> None:
    site.add("demo", DEMO)
    model, problems = build_model(document(**{"x-demo": {"limit": 3, "mode": "strict"}}))
    assert problems == []
    assert model.plugins == ("request_id", "errors", "demo")
    assert "demo" in registry.installed()
    assert registry.plugin_class("demo").extension_key == "x-demo"
    # Installed after the built-ins, whatever the list's order.
    assert registry.ordered(("demo", "auth"))[-1] == "demo"


def test_an_unknown_plugin_name_lists_the_installed_ones(site: SitePackages) -> None:
    site.add("demo", DEMO)
    doc = document(**{"x-specway-plugins": ["request_id", "auth", "ip_alowlist"]})
    [problem] = problems_at(doc, "/x-specway-plugins")
    assert problem.pointer == "/x-specway-plugins/2"
    assert problem.message == (
        "unknown plugin 'ip_alowlist': not built in and no 'specway.plugins' entry point"
    )
    assert problem.fix == "installed plugins: " + ", ".join([*PLUGIN_NAMES, "demo"])
    assert problem.level == "error"


def test_a_near_miss_gets_a_suggestion(site: SitePackages) -> None:
    site.add("demo", DEMO)
    [problem] = problems_at(document(**{"x-specway-plugins": ["dmeo"]}), "/x-specway-plugins")
    assert problem.fix.startswith("did you mean 'demo'? installed plugins: request_id, ")


def test_startup_refuses_an_unknown_plugin_by_pointer(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(document(**{"x-specway-plugins": ["errors", "nope"]})))
    with pytest.raises(SpecError) as caught:
        load_model(spec)
    assert [p.pointer for p in caught.value.problems] == ["/x-specway-plugins/1"]
    with pytest.raises(ConfigError, match=r"unknown plugin 'nope'.*installed plugins: request_id"):
        registry.plugin_class("nope")


def test_a_config_failing_its_schema_gets_pointers_and_fixes(site: SitePackages) -> None:
    site.add("demo", DEMO)
    doc = document(**{"x-demo": {"limit": 0, "mode": "loose", "netwroks": []}})
    found = {(p.pointer, p.message, p.fix) for p in problems_at(doc, "/x-demo")}
    assert found == {
        ("/x-demo/limit", "0 is less than the minimum of 1", "see the extension reference"),
        (
            "/x-demo/mode",
            "'loose' is not one of ['strict', 'lenient']",
            "use one of ['strict', 'lenient']",
        ),
        ("/x-demo", "unknown key 'netwroks'", "did you mean 'networks'?"),
    }


def test_the_key_is_checked_at_the_levels_the_plugin_reads(site: SitePackages) -> None:
    site.add("demo", DEMO)
    doc = document()
    doc["paths"]["/ping"]["get"]["x-demo"] = {"limit": "many"}
    doc["paths"]["/ping"]["x-demo"] = {"limit": 1}
    found = {(p.pointer, p.message) for p in problems_at(doc, "/paths")}
    assert found == {
        ("/paths/~1ping/get/x-demo/limit", "'many' is not of type 'integer'"),
        (
            "/paths/~1ping/x-demo",
            "x-demo is not allowed at the path level (plugin 'demo' reads it at: "
            "document, operation)",
        ),
    }


def test_the_key_of_a_plugin_not_enabled_is_a_warning_not_checked(site: SitePackages) -> None:
    site.add("demo", DEMO)
    doc = document(**{"x-specway-plugins": ["errors"], "x-demo": {"limit": "x"}})
    [problem] = problems_at(doc, "/x-demo")
    assert (problem.pointer, problem.level) == ("/x-demo", "warning")
    assert problem.message == (
        "x-demo is read by plugin 'demo', which x-specway-plugins does not enable: it has no effect"
    )
    assert problem.fix == "add demo to x-specway-plugins, or remove x-demo"
    # The same without any x-specway-plugins (the defaults), and at the operation level.
    doc = document()
    del doc["x-specway-plugins"]
    doc["paths"]["/ping"]["get"]["x-demo"] = {}
    [problem] = problems_at(doc, "/paths")
    assert (problem.pointer, problem.level) == ("/paths/~1ping/get/x-demo", "warning")
    # Other x- keys are nobody's business.
    assert problems_at(document(**{"x-logo": {"url": "x"}}), "/x-logo") == []


def test_two_plugins_may_not_read_the_same_key(site: SitePackages) -> None:
    site.add("demo", DEMO)
    site.add("demo2", DEMO.replace('name = "demo"', 'name = "demo2"'))
    doc = document(**{"x-specway-plugins": ["demo", "demo2"]})
    [problem] = problems_at(doc, "/x-specway-plugins")
    assert problem.pointer == "/x-specway-plugins/1"
    assert problem.message == "plugin 'demo2' reads x-demo, which plugin 'demo' reads too"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            DEMO.replace('name = "demo"', 'name = "other"'),
            "has name 'other', not the entry point's 'demo'",
        ),
        (
            DEMO.replace('"x-demo"', '"x-specway-demo"'),
            "extension_key 'x-specway-demo' must start with 'x-' and not with 'x-specway-'",
        ),
        (
            DEMO.replace('"type": "object",', '"type": "thing",'),
            "has an invalid extension_schema: 'thing' is not valid",
        ),
        (
            DEMO.replace('("document", "operation")', '("document", "server")'),
            "extension_levels ('document', 'server'): use some of document, path, operation",
        ),
        ("import not_a_module_anywhere\n" + DEMO, "failed to load: ModuleNotFoundError"),
    ],
    ids=["name", "namespace", "bad-schema", "levels", "import"],
)
def test_a_broken_plugin_is_a_problem_not_a_crash(
    site: SitePackages, source: str, message: str
) -> None:
    site.add("demo", source)
    [problem] = problems_at(document(), "/x-specway-plugins")
    assert problem.pointer == "/x-specway-plugins/2"
    assert message in problem.message


def test_spec_lint_prints_the_problems(
    site: SitePackages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site.add("demo", DEMO)
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(document(**{"x-demo": {"limit": -1}})))
    assert main(["spec", "lint", str(spec)]) != 0
    out = capsys.readouterr()
    assert "/x-demo/limit" in out.out + out.err
    assert "-1 is less than the minimum of 1" in out.out + out.err


def test_lint_document_reports_plugin_problems_with_the_rest(site: SitePackages) -> None:
    site.add("demo", DEMO)
    problems = lint_document(document(**{"x-demo": {"limit": 0}}))
    assert "/x-demo/limit" in {p.pointer for p in problems}
