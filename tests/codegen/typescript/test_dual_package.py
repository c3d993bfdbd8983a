"""The TypeScript SDK is a dual package: ``import`` gets the ES modules of ``dist/``,
``require`` the CommonJS build of ``dist/cjs/`` (Node 20 cannot ``require`` an ES module).

``sdk/typescript`` is built by its own ``npm run build`` script, with the pinned ``tsc`` of
tools/ts on ``PATH``, and installed as ``node_modules/specway-client`` of a scratch project.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ts_support import SDK, TOOLS, run


def build(node: str, tmp_path: Path) -> Path:
    """``npm run build`` of a copy of the SDK; the project folder it is installed in."""
    sdk = tmp_path / "sdk"
    shutil.copytree(SDK, sdk)
    script = json.loads((sdk / "package.json").read_text())["scripts"]["build"]
    path = f"{TOOLS / 'node_modules' / '.bin'}:{Path(node).parent}:/usr/bin:/bin"
    run(["env", f"PATH={path}", "sh", "-c", script], cwd=sdk)
    project = tmp_path / "project"
    (project / "node_modules").mkdir(parents=True)
    (project / "node_modules" / "specway-client").symlink_to(sdk, target_is_directory=True)
    return project


def test_require_and_import_give_the_same_surface(node: str, tsc: Path, tmp_path: Path) -> None:
    project = build(node, tmp_path)
    assert json.loads((tmp_path / "sdk" / "dist" / "cjs" / "package.json").read_text()) == {
        "type": "commonjs"
    }
    surface = (
        "const names = Object.keys(sdk).filter((k) => k !== 'default').sort();\n"
        "const client = new sdk.Client({ apiKey: 'k', baseURL: 'http://127.0.0.1:9' });\n"
        "console.log(JSON.stringify({ names, projects: typeof client.projects.list,"
        " key: client.core.apiKey,"
        " error: sdk.NotFoundError.prototype instanceof sdk.APIError }));\n"
    )
    (project / "required.cjs").write_text("const sdk = require('specway-client');\n" + surface)
    (project / "imported.mjs").write_text("import * as sdk from 'specway-client';\n" + surface)
    required = json.loads(run([node, "required.cjs"], cwd=project).stdout)
    imported = json.loads(run([node, "imported.mjs"], cwd=project).stdout)
    assert required == imported
    assert {"Client", "APIError", "verifyWebhook", "ProjectsResource"} <= set(required["names"])
    assert (required["projects"], required["key"], required["error"]) == ("function", "k", True)
    # Without typescript.default_export, require() is the module object, not a class.
    probe = "console.log(typeof require('specway-client'))"
    assert run([node, "-e", probe], cwd=project).stdout.strip() == "object"


def test_package_json_routes_each_condition() -> None:
    manifest = json.loads((SDK / "package.json").read_text())
    assert manifest["type"] == "module"
    assert manifest["exports"]["."] == {
        "import": {"types": "./dist/index.d.ts", "default": "./dist/index.js"},
        "require": {"types": "./dist/cjs/index.d.ts", "default": "./dist/cjs/index.js"},
    }
    assert manifest["main"] == "./dist/cjs/index.js"
