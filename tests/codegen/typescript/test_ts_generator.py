"""The ``typescript`` generator: registered, deterministic, covered by ``--check``, and its
output (plus a usage file touching every resource) passes ``tsc --strict --noEmit``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from ts_support import HERE, ROOT, SDK, run

from specway.codegen import load_ir
from specway.codegen.generators import GENERATORS, check
from specway.codegen.render import GENERATED, fill
from specway.codegen.typescript import generate_typescript

FIXTURES = ROOT / "tests" / "fixtures"


def test_registered_and_deterministic() -> None:
    assert GENERATORS["typescript"].default_out == "sdk/typescript"
    ir = load_ir(ROOT / "openapi.yaml")
    first, second = generate_typescript(ir), generate_typescript(load_ir(ROOT / "openapi.yaml"))
    assert first == second
    for name, text in first.items():
        if name.endswith(".json"):
            assert GENERATED in text, name
            json.loads(text)
        else:
            assert GENERATED in text.splitlines()[0], name
    package = json.loads(first["package.json"])
    assert package["name"] == "specway-client"
    assert package["type"] == "module"
    assert "dependencies" not in package  # zero runtime dependencies
    assert package["engines"] == {"node": ">=20"}


def test_check_reports_a_stale_sdk_file(tmp_path: Path) -> None:
    ir = load_ir(ROOT / "openapi.yaml")
    for generator in GENERATORS.values():
        fill(tmp_path / generator.default_out, generator.render(ir, None))
    assert check(ir, tmp_path) == []
    (tmp_path / "sdk/typescript/src/core.ts").write_text("// edited\n")
    assert check(ir, tmp_path) == ["sdk/typescript/src/core.ts"]


def test_committed_sdk_is_fresh() -> None:
    assert check(load_ir(ROOT / "openapi.yaml"), ROOT, ["typescript"]) == []


def test_every_resource_is_typed_methods_only() -> None:
    ir = load_ir(ROOT / "openapi.yaml")
    usage = (HERE / "usage.ts").read_text()
    resources = {op.sdk.ts_resource for op in ir.operations}
    missing = sorted(r for r in resources if f"client.{r}." not in usage)
    assert not missing, f"usage.ts does not touch {missing}"
    projects = (SDK / "src/resources/projects.ts").read_text()
    assert "): Promise<ListPage<ProjectList, Project>> {" in projects
    # The deprecated alias stays, marked as such.
    assert re.search(r"@deprecated[^/]*\*/\n  async \*listAll\(\n", projects)
    assert "AsyncGenerator<Project, void, undefined>" in projects


def test_sdk_and_usage_pass_tsc_strict(node: str, tsc: Path) -> None:
    """The usage file imports the SDK's sources, so this checks both under ``--strict``."""
    run([node, str(tsc), "-p", str(HERE / "tsconfig.usage.json")])


def test_usage_type_errors_are_caught(node: str, tsc: Path, tmp_path: Path) -> None:
    """Without its ``@ts-expect-error`` markers every marked line fails: the types are strict."""
    config = json.loads((HERE / "tsconfig.usage.json").read_text())
    config["compilerOptions"]["paths"] = {"specway-client": [str(SDK / "src/index.ts")]}
    (tmp_path / "tsconfig.json").write_text(json.dumps(config))
    lines = (HERE / "usage.ts").read_text().splitlines()
    marked = [i + 2 for i, line in enumerate(lines) if "// @ts-expect-error" in line]
    text = "\n".join(line.replace("// @ts-expect-error", "// was:") for line in lines) + "\n"
    (tmp_path / "usage.ts").write_text(text)
    proc = subprocess.run(
        [node, str(tsc), "-p", str(tmp_path / "tsconfig.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    failing = {int(n) for n in re.findall(r"usage\.ts\((\d+),\d+\): error", proc.stdout)}
    assert len(marked) >= 5
    assert failing == set(marked), proc.stdout


def test_fixture_sdks_compile_and_unions_narrow(node: str, tsc: Path, tmp_path: Path) -> None:
    """Every golden fixture's SDK (each error style, oneOf/allOf) compiles strict."""
    includes = []
    for expected in sorted(FIXTURES.glob("*/expected/typescript")):
        target = tmp_path / expected.parent.parent.name
        shutil.copytree(expected, target)
        includes.append(f"{target.name}/src")
    assert len(includes) >= 5
    shutil.copytree(FIXTURES / "schemas/expected/typescript", tmp_path / "shapes-sdk")
    shutil.copy(HERE / "shapes.ts", tmp_path / "shapes.ts")
    (tmp_path / "package.json").write_text('{"type": "module"}\n')
    config = json.loads((SDK / "tsconfig.json").read_text())
    config["compilerOptions"].update(noEmit=True)
    del config["compilerOptions"]["rootDir"]
    config["include"] = [*includes, "shapes.ts"]
    (tmp_path / "tsconfig.json").write_text(json.dumps(config))
    run([node, str(tsc), "-p", str(tmp_path / "tsconfig.json")])
