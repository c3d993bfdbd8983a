"""The seeds' Node.js (``require(...)``) and Go snippets, run against live example servers.

Each example's SDK is generated as its users would generate it (``specway codegen typescript``
or ``go`` with the example's spec) and built as they would build it: the TypeScript package
with its own ``npm run build`` script (ESM into ``dist/``, CommonJS into ``dist/cjs/``), linked
as ``node_modules/<the seed's package name>``; the Go module through a ``replace`` of the seed's
import path. The snippets are the seeds' lines as printed; only the credentials and ids the seed
makes up (``'your_jwt_token'``, ``1``) become the live server's, the base URL comes from the
SDK's own environment variable (``KEYNEST_BASE_URL``), Node's CommonJS needs the top-level
``await`` lines inside an async function, and Go's methods take a ``ctx`` first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from specway.cli import main
from specway.codegen import load_ir
from tests.codegen.go.go_support import go_env
from tests.examples.support import example_spec
from tests.examples.test_examples_contract import LiveExample, free_port

TOOLS = Path(__file__).resolve().parents[2] / "tools" / "ts"


class Served:
    """One example served live; ``url`` is its SDK base URL (the spec's server path)."""

    def __init__(self, name: str, tmp: pytest.TempPathFactory) -> None:
        self.name = name
        self.ir = load_ir(example_spec(name))
        self.server = LiveExample(name, tmp.mktemp(f"node-go-{name}"), free_port())
        self.server.serve()
        self.server.ready()
        self.url = self.server.url + urlsplit(self.ir.base_url).path.rstrip("/")

    @property
    def api_key(self) -> str:
        """The minted key without its scheme word."""
        return self.server.headers["Authorization"].split(" ", 1)[1]

    @property
    def base_url_env(self) -> str:
        """The SDKs' base URL variable (``KEYNEST_BASE_URL``)."""
        return self.ir.sdk.env_var.removesuffix("_API_KEY") + "_BASE_URL"

    def close(self) -> None:
        log = self.server.stop()
        assert "Traceback" not in log, log[-4000:]


def served(name: str, tmp: pytest.TempPathFactory) -> Iterator[Served]:
    example = Served(name, tmp)
    try:
        yield example
    finally:
        example.close()


@pytest.fixture(scope="module")
def keynest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from served("keynest", tmp_path_factory)


@pytest.fixture(scope="module")
def yourcompany(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from served("yourcompany", tmp_path_factory)


@pytest.fixture(scope="module")
def hexabase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from served("hexabase", tmp_path_factory)


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    if path is None or not (TOOLS / "node_modules" / ".bin" / "tsc").exists():
        pytest.skip("node and tools/ts (npm ci --prefix tools/ts) run the Node.js snippets")
    return path


@pytest.fixture(scope="module")
def go() -> str:
    path = shutil.which("go")
    if path is None:
        pytest.skip("go is not installed: the Go snippets need Go >= 1.19")
    return path


def build_typescript_sdk(node: str, name: str, folder: Path) -> None:
    """The example's TypeScript SDK, built by its ``npm run build`` script (``tsc`` from
    tools/ts) and linked as ``folder/node_modules/<package>``. It is built outside
    ``node_modules``: tsc treats sources under ``node_modules`` as a library's."""
    spec = example_spec(name)
    package = load_ir(spec).sdk.npm_package
    sdk = folder / "sdk"
    assert main(["codegen", "typescript", "--spec", str(spec), "--out", str(sdk)]) == 0
    script = json.loads((sdk / "package.json").read_text())["scripts"]["build"]
    path = f"{TOOLS / 'node_modules' / '.bin'}:{Path(node).parent}:/usr/bin:/bin"
    built = subprocess.run(
        ["sh", "-c", script],
        cwd=sdk,
        env={"PATH": path},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    link = folder / "node_modules" / package
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(sdk, target_is_directory=True)


def run_commonjs(node: str, folder: Path, seed: str, report: str, **env: str) -> Any:
    """``seed`` (the snippet's lines) then ``report`` (a JSON line) as a CommonJS script, the
    lines after the ``require`` inside an async function; the report's JSON."""
    head, _, body = seed.partition("\n")
    assert "require(" in head, head
    script = f"{head}\n\n(async () => {{\n{body}\n{report}\n}})().catch((error) => {{\n"
    script += "  console.error(error);\n  process.exit(1);\n});\n"
    (folder / "snippet.cjs").write_text(script)
    done = subprocess.run(
        [node, "snippet.cjs"],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, script + done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- KeyNest (seed 004, "Node.js SDK") -----------------------------------------------------

KEYNEST_SEED = """const KeyNest = require('@keynest/sdk');

const client = new KeyNest({
  token: 'your_jwt_token'
});

// List projects
const projects = await client.projects.list();

// Get variables
const variables = await client.environments.variables(1);

// Create variable
await client.variables.create({
  key: 'NEW_SECRET',
  value: 'secret_value',
  environmentId: 1
});"""


def keynest_environment(keynest: Served) -> tuple[str, str, str]:
    """A new user's token, one project of theirs and an environment in it (ids)."""
    email = f"node-{uuid.uuid4().hex[:8]}@example.com"
    with httpx.Client(base_url=keynest.url, timeout=30) as http:
        answer = http.post("/api/auth/register/", json={"email": email, "password": "s3cure-pass!"})
        assert answer.status_code == 201, answer.text
        http.headers["Authorization"] = f"Token {answer.json()['token']}"
        project = http.post("/api/projects/", json={"name": "Node project"})
        assert project.status_code == 201, project.text
        environment = http.post(
            "/api/environments/", json={"name": "production", "project": project.json()["id"]}
        )
        assert environment.status_code == 201, environment.text
        token = str(http.headers["Authorization"]).split(" ", 1)[1]
        return token, str(project.json()["id"]), str(environment.json()["id"])


def test_keynest_nodejs_sdk_snippet_with_require(
    keynest: Served, node: str, tmp_path: Path
) -> None:
    """``const KeyNest = require('@keynest/sdk')`` is the client class (the spec's
    ``typescript.default_export``); ``new KeyNest({ token })``; ``environments.variables(id)``;
    ``variables.create({ key, value, environmentId })`` sends the API's ``environment``."""
    token, project, environment = keynest_environment(keynest)
    build_typescript_sdk(node, "keynest", tmp_path)
    seed = KEYNEST_SEED.replace("'your_jwt_token'", json.dumps(token))
    seed = seed.replace("variables(1)", f"variables({json.dumps(environment)})")
    seed = seed.replace("environmentId: 1", f"environmentId: {json.dumps(environment)}")
    after = f"const after = await client.environments.variables({json.dumps(environment)});\n"
    report = (
        after
        + """console.log(JSON.stringify({
  isClass: typeof KeyNest === 'function' && client instanceof KeyNest,
  named: KeyNest.KeyNest === KeyNest && typeof KeyNest.APIError === 'function',
  projects: projects.results.map((p) => p.id),
  before: variables.count,
  after: after.results.map((v) => [v.key, v.decrypted_value]),
}));"""
    )
    seen = run_commonjs(node, tmp_path, seed, report, **{keynest.base_url_env: keynest.url})
    assert seen == {
        "isClass": True,
        "named": True,
        "projects": [project],
        "before": 0,
        "after": [["NEW_SECRET", "secret_value"]],
    }


def test_keynest_esm_default_import(keynest: Served, node: str, tmp_path: Path) -> None:
    """The same package from ES modules: ``import KeyNest from '@keynest/sdk'`` (the default
    export) and the named ``{ KeyNest }`` are one class."""
    token, project, _ = keynest_environment(keynest)
    build_typescript_sdk(node, "keynest", tmp_path)
    (tmp_path / "snippet.mjs").write_text(
        """import KeyNest, { KeyNest as Named } from '@keynest/sdk';

const client = new KeyNest({ token: process.env.TOKEN });
const projects = await client.projects.list();
const ids = projects.results.map((p) => p.id);
console.log(JSON.stringify({ same: KeyNest === Named, projects: ids }));
"""
    )
    done = subprocess.run(
        [node, "snippet.mjs"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "TOKEN": token, keynest.base_url_env: keynest.url},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == {"same": True, "projects": [project]}


# --- yourcompany (seed 002, "JavaScript/Node.js" and "Go") --------------------------------

YOURCOMPANY_NODE_SEED = """const { Client } = require('your-software-sdk');

const client = new Client({ apiKey: 'YOUR_API_KEY' });
const resources = await client.resources.list();"""


def create_resource(example: Served) -> str:
    with httpx.Client(base_url=example.url, headers=example.server.headers, timeout=30) as http:
        name = f"node-go-{uuid.uuid4().hex[:6]}"
        created = http.post("/resources", json={"name": name, "type": "compute"})
        assert created.status_code == 201, created.text
        return str(created.json()["data"]["name"])


def test_yourcompany_nodejs_snippet_with_require(
    yourcompany: Served, node: str, tmp_path: Path
) -> None:
    """``const { Client } = require('your-software-sdk')`` (the CommonJS build of the SDK);
    ``new Client({ apiKey })``; ``await client.resources.list()``."""
    name = create_resource(yourcompany)
    build_typescript_sdk(node, "yourcompany", tmp_path)
    seed = YOURCOMPANY_NODE_SEED.replace("'YOUR_API_KEY'", json.dumps(yourcompany.api_key))
    report = "console.log(JSON.stringify({ names: resources.data.map((r) => r.name) }));"
    seen = run_commonjs(node, tmp_path, seed, report, **{yourcompany.base_url_env: yourcompany.url})
    assert name in seen["names"]


def run_go(go: str, name: str, folder: Path, main_go: str, **env: str) -> Any:
    """``main_go`` built against the example's generated Go SDK (the seed's import path
    replaced by the generated module) and run with ``env``; the JSON it prints."""
    spec = example_spec(name)
    module = load_ir(spec).sdk.go_module
    assert main(["codegen", "go", "--spec", str(spec), "--out", str(folder / "sdk")]) == 0
    app = folder / "app"
    app.mkdir()
    (app / "go.mod").write_text(
        f"module seedsnippet\n\ngo 1.19\n\nrequire {module} v0.0.0\n\nreplace {module} => ../sdk\n"
    )
    (app / "main.go").write_text(main_go)
    built = subprocess.run(
        [go, "build", "-o", "snippet", "."],
        cwd=app,
        env=go_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert built.returncode == 0, main_go + built.stdout + built.stderr
    done = subprocess.run(
        [str(app / "snippet")],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


GO_PROGRAM = """package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"%(module)s"
)

func main() {
	ctx := context.Background()
%(seed)s
	if err != nil {
		log.Fatal(err)
	}
	out, _ := json.Marshal(map[string]interface{}{"items": %(items)s})
	fmt.Println(string(out))
}
"""


def test_yourcompany_go_snippet(yourcompany: Served, go: str, tmp_path: Path) -> None:
    """``import "github.com/your-org/your-software-go"`` (package ``yoursoft``);
    ``yoursoft.NewClient("YOUR_API_KEY")``; ``client.Resources.List(ctx, nil)``."""
    name = create_resource(yourcompany)
    key = json.dumps(yourcompany.api_key)
    seed = f"""	client := yoursoft.NewClient({key})
	resources, err := client.Resources.List(ctx, nil)"""
    program = GO_PROGRAM % {
        "module": "github.com/your-org/your-software-go",
        "seed": seed,
        "items": "resources.Data",
    }
    seen = run_go(
        go, "yourcompany", tmp_path, program, **{yourcompany.base_url_env: yourcompany.url}
    )
    assert name in [item["name"] for item in seen["items"]]


def test_hexabase_go_snippet(hexabase: Served, go: str, tmp_path: Path) -> None:
    """``import "github.com/hexabase-ai/hexabase-go"``; ``hexabase.NewClient("hks_live_...")``
    (the minted ``hks_live_`` key); ``client.Workspaces.List(ctx, nil)``."""
    assert hexabase.api_key.startswith("hks_live_")
    with httpx.Client(base_url=hexabase.url, headers=hexabase.server.headers) as http:
        created = http.post("/workspaces", json={"name": "go-snippet"})
        assert created.status_code == 201, created.text
    key = json.dumps(hexabase.api_key)
    seed = f"""	client := hexabase.NewClient({key})
	workspaces, err := client.Workspaces.List(ctx, nil)"""
    program = GO_PROGRAM % {
        "module": "github.com/hexabase-ai/hexabase-go",
        "seed": seed,
        "items": "workspaces.Data",
    }
    seen = run_go(go, "hexabase", tmp_path, program, **{hexabase.base_url_env: hexabase.url})
    assert "go-snippet" in [item["name"] for item in seen["items"]]
