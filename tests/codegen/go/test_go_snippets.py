"""The reference's Go snippets compile against the Go SDK and are gofmt-clean.

Every operation's snippet becomes the body of one function of a program that imports the SDK
(``replace`` to the generated module), so a renamed method, a wrong type or a literal Go cannot
parse fails here rather than in a reader's editor.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from go_support import ROOT, run

from specway.codegen import load_ir
from specway.codegen.generators import GENERATORS
from specway.codegen.go_sdk import module_path
from specway.codegen.go_services import GoSdkPlanner
from specway.codegen.go_snippets import GoSnippets
from specway.codegen.render import fill
from tests.codegen.conftest import FIXTURES

SPECS = [ROOT / "openapi.yaml", FIXTURES / "schemas" / "openapi.yaml"]


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.parent.name)
def test_every_snippet_compiles_and_is_gofmt_clean(go: str, spec: Path, tmp_path: Path) -> None:
    ir = load_ir(spec)
    module, package = module_path(ir)
    sdk = tmp_path / "sdk"
    fill(sdk, GENERATORS["go"].render(ir, None))
    snippets = GoSnippets(GoSdkPlanner(ir), package, ir.sdk.env_var)
    bodies = [
        snippets.snippet(op)
        for op in ir.operations
        if not snippets.snippet(op).startswith("// not in the Go SDK")
    ]
    assert bodies
    functions = "\n\n".join(
        f"func snippet{i}() {{\n"
        + "".join(f"\t{line}\n" if line else "\n" for line in body.splitlines())
        + "}"
        for i, body in enumerate(bodies)
    )
    program = (
        'package main\n\nimport (\n\t"context"\n\t"fmt"\n\t"log"\n\n'
        f'\t"{module}"\n)\n\n{functions}\n\nfunc main() {{}}\n\n'
        "var _ = fmt.Sprint\nvar _ = context.Background\nvar _ = log.Fatal\n"
        f"var _ {package}.Option\n"
    )
    app = tmp_path / "app"
    app.mkdir()
    (app / "go.mod").write_text(
        f"module snippets\n\ngo 1.19\n\nrequire {module} v0.0.0\n\nreplace {module} => {sdk}\n"
    )
    (app / "main.go").write_text(program)
    gofmt = str(Path(go).resolve().parent / "gofmt")
    assert run([gofmt, "-l", "."], cwd=app).stdout == "", run([gofmt, "-d", "."], cwd=app).stdout
    run([go, "vet", "."], cwd=app)
