"""The seeds' own SDK snippets, run against each example's generated SDKs and live server.

Each example's SDK is generated into a temporary folder exactly as its users would generate it
(``specway codegen python --spec examples/<name>/openapi.yaml``) and imported under the name
the seed imports (``from hexabase import Client, Workspace``, ``from keynest import
KeyNestClient``, ``from your_software import Client``). The snippets then run as the seeds
print them against ``specway serve`` of that example; only the base URL, the credentials and
ids the seed makes up (``env_id=1``) are adapted to the running server.

The TypeScript snippets run the same way: the example's TypeScript SDK is generated, compiled
with the pinned ``tsc`` and installed under the seed's package name (``@hexabase/sdk``) in a
``node_modules`` beside an ES module holding the snippet.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest

from specway.cli import main
from specway.codegen import load_ir
from tests.examples.support import example_spec
from tests.examples.test_examples_contract import LiveExample, free_port


def generated_sdk(name: str, package: str, folder: Path) -> ModuleType:
    """``specway codegen python`` of the example into ``folder``, imported as ``package``."""
    spec = example_spec(name)
    assert main(["codegen", "python", "--spec", str(spec), "--out", str(folder)]) == 0
    assert (folder / package / "__init__.py").is_file(), sorted(p.name for p in folder.iterdir())
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(folder))


def forget(package: str) -> None:
    for module in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[module]


class Example:
    """One example served live, with its generated SDK imported."""

    def __init__(self, name: str, package: str, tmp: pytest.TempPathFactory) -> None:
        self.package = package
        # The spec's server path (``/v1``) on the live server, as the SDK's default base URL has.
        self.base_path = urlsplit(load_ir(example_spec(name)).base_url).path.rstrip("/")
        self.server = LiveExample(name, tmp.mktemp(f"snippets-{name}"), free_port())
        self.module = generated_sdk(name, package, tmp.mktemp(f"sdk-{name}"))
        self.server.serve()
        self.server.ready()

    @property
    def url(self) -> str:
        return self.server.url + self.base_path

    @property
    def api_key(self) -> str:
        """The minted key without its scheme word (``Bearer``/``Token``)."""
        return self.server.headers["Authorization"].split(" ", 1)[1]

    def close(self) -> None:
        forget(self.package)
        log = self.server.stop()
        assert "Traceback" not in log, log[-4000:]


def serve(name: str, package: str, tmp: pytest.TempPathFactory) -> Iterator[Example]:
    example = Example(name, package, tmp)
    try:
        yield example
    finally:
        example.close()


@pytest.fixture(scope="module")
def hexabase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Example]:
    yield from serve("hexabase", "hexabase", tmp_path_factory)


@pytest.fixture(scope="module")
def keynest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Example]:
    yield from serve("keynest", "keynest", tmp_path_factory)


@pytest.fixture(scope="module")
def yourcompany(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Example]:
    yield from serve("yourcompany", "your_software", tmp_path_factory)


TOOLS = Path(__file__).resolve().parents[2] / "tools" / "ts"


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    compiler = TOOLS / "node_modules" / "typescript" / "bin" / "tsc"
    if path is None or not compiler.exists():
        pytest.skip("node and tools/ts (npm ci --prefix tools/ts) run the TypeScript snippets")
    return path


def run_typescript_snippet(
    node: str, name: str, package: str, snippet: str, folder: Path, **env: str
) -> Any:
    """The example's TypeScript SDK as ``node_modules/<package>``; ``snippet`` (an ES module
    whose last line of output is JSON) run beside it with ``env``; its JSON."""
    sdk = folder / "node_modules" / package
    assert (
        main(["codegen", "typescript", "--spec", str(example_spec(name)), "--out", str(sdk)]) == 0
    )
    compiler = TOOLS / "node_modules" / "typescript" / "bin" / "tsc"
    built = subprocess.run(
        [node, str(compiler), "-p", str(sdk / "tsconfig.json")],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (folder / "snippet.mjs").write_text(snippet)
    done = subprocess.run(
        [node, "snippet.mjs"],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- Hexabase (seed 001) -------------------------------------------------------------------


def test_hexabase_quickstart_and_workspace_management(hexabase: Example) -> None:
    """``from hexabase import Client, Workspace``; list, then create as the seed does."""
    from hexabase import Client, Workspace  # type: ignore[import-not-found]

    client = Client(api_key=hexabase.api_key, base_url=hexabase.url)
    workspaces = client.workspaces.list()
    assert list(workspaces) == []

    workspace = client.workspaces.create(
        name="production",
        description="Production environment",
    )
    assert isinstance(workspace, Workspace)
    assert workspace.name == "production"
    assert [w.id for w in client.workspaces.list()] == [workspace.id]
    client.close()


def test_hexabase_workspace_update_on_the_returned_model(hexabase: Example) -> None:
    """``workspace.update(resource_quota={...})`` on the workspace ``create`` returned."""
    from hexabase import Client, Workspace

    client = Client(api_key=hexabase.api_key, base_url=hexabase.url)
    workspace = client.workspaces.create(name="quota", description="Production environment")

    # Update workspace
    workspace.update(resource_quota={"cpu": "100", "memory": "200Gi"})

    fetched = client.workspaces.get(workspace.id)
    assert (fetched.resource_quota.cpu, fetched.resource_quota.memory) == ("100", "200Gi")
    renamed = fetched.update(name="quota-2")
    assert isinstance(renamed, Workspace)
    assert (renamed.id, renamed.name, fetched.name) == (workspace.id, "quota-2", "quota")
    listed = next(iter(client.workspaces.list(search="quota-2")))
    assert listed.update(description="from a page").description == "from a page"
    with pytest.raises(TypeError, match="not returned by a Client"):
        Workspace.from_dict(fetched.to_dict()).update(name="unbound")
    client.close()

    async def in_async() -> Any:
        async with Client(api_key=hexabase.api_key, base_url=hexabase.url) as aclient:
            found = await aclient.workspaces.get(workspace.id)
            with pytest.raises(TypeError, match="not returned by a Client"):
                found.update(name="sync call")
            return await found.aupdate(name="quota-async")

    assert asyncio.run(in_async()).name == "quota-async"


def test_hexabase_async_with_client(hexabase: Example) -> None:
    """``async with Client(api_key=...) as client: await client.workspaces.create(...)``."""
    from hexabase import AsyncClient, Client, Workspace

    async def snippet() -> Any:
        async with Client(api_key=hexabase.api_key, base_url=hexabase.url) as client:
            assert isinstance(client, AsyncClient)
            workspace = await client.workspaces.create(name="staging", region="us-west-2")
        return workspace

    workspace = asyncio.run(snippet())
    assert isinstance(workspace, Workspace)
    assert (workspace.name, workspace.region) == ("staging", "us-west-2")


def test_hexabase_register_webhook(hexabase: Example) -> None:
    """``client.webhooks.create(url=..., events=[...], workspace_id=...)``; the URL is a public
    address instead of the seed's ``myapp.com`` (the server refuses hosts that do not resolve)."""
    from hexabase import Client

    client = Client(api_key=hexabase.api_key, base_url=hexabase.url)
    workspace = client.workspaces.create(name="hooks")

    # Register webhook
    webhook = client.webhooks.create(
        url="https://93.184.215.14/webhook",
        events=["deployment.created", "deployment.failed"],
        workspace_id=workspace.id,
    )

    assert webhook.secret
    assert client.webhooks.get(webhook.id).url == "https://93.184.215.14/webhook"
    client.close()


def test_hexabase_batch_execute_takes_the_operations_list(hexabase: Example) -> None:
    """``results = client.batch.execute(operations)`` with the seed's list of dicts."""
    from hexabase import Client

    client = Client(api_key=hexabase.api_key, base_url=hexabase.url)
    operations = [
        {"method": "POST", "path": "/projects", "body": {"name": "batch-one"}},
        {"method": "POST", "path": "/projects", "body": {"name": "batch-two"}},
    ]

    results = client.batch.execute(operations)

    assert [r.status for r in results.results] == [201, 201]
    assert sorted(p.name for p in client.projects.list()) == ["batch-one", "batch-two"]
    client.close()


def test_hexabase_ip_whitelist_takes_the_list_by_position(hexabase: Example) -> None:
    """``client.security.update_ip_whitelist([...])``; the test's own address joins the
    seed's two ranges (a list without the caller's address is refused with 409)."""
    from hexabase import Client, ConflictError

    client = Client(api_key=hexabase.api_key, base_url=hexabase.url)
    with pytest.raises(ConflictError):
        client.security.update_ip_whitelist(["203.0.113.0/24", "198.51.100.0/24"])
    try:
        updated = client.security.update_ip_whitelist(
            ["203.0.113.0/24", "198.51.100.0/24", "127.0.0.1/32"]
        )
        assert sorted(updated.allowed_ips) == ["127.0.0.1/32", "198.51.100.0/24", "203.0.113.0/24"]
    finally:
        client.security.update_ip_whitelist([])
        client.close()


def test_hexabase_project_deployment(hexabase: Example) -> None:
    """The seed's "Project Deployment": ``client.projects.deploy(workspace_id=..., name=...,
    source=..., environment={..., "API_KEY": {"from_secret": "api-key"}})``, then
    ``deployment.get_status().phase``. The seed's ``ws_123`` is a workspace made first, holding
    the ``api-key`` secret the environment refers to (without it the deploy is 422)."""
    from hexabase import Client, ProjectDeployment, UnprocessableEntityError

    client = Client(api_key=hexabase.api_key, base_url=hexabase.url)
    ws_123 = client.workspaces.create(name="deploys").id
    environment = {"DATABASE_URL": "postgresql://...", "API_KEY": {"from_secret": "api-key"}}
    with pytest.raises(UnprocessableEntityError, match=r"environment\.API_KEY"):
        client.projects.deploy(
            workspace_id=ws_123,
            name="my-app",
            source="github.com/myorg/myapp",
            environment=environment,
        )
    client.secrets.set(ws_123, "api-key", value="sk_live_abcd1234")

    # Deploy a project
    deployment = client.projects.deploy(
        workspace_id=ws_123,
        name="my-app",
        source="github.com/myorg/myapp",
        environment={
            "DATABASE_URL": "postgresql://...",
            "API_KEY": {"from_secret": "api-key"},
        },
    )

    # Check deployment status
    status = deployment.get_status()
    print(f"Status: {status.phase}")

    assert isinstance(deployment, ProjectDeployment)
    assert (deployment.name, deployment.workspace_id) == ("my-app", ws_123)
    assert status.phase in {"pending", "building", "running"}
    deadline = time.monotonic() + 10
    while status.phase != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
        status = deployment.get_status()
    assert (status.phase, status.status, status.deployment_id) == (
        "running",
        "completed",
        deployment.id,
    )
    with pytest.raises(TypeError, match="not returned by a Client"):
        ProjectDeployment.from_dict(deployment.to_dict()).get_status()
    client.close()


def test_hexabase_resource_monitoring(hexabase: Example) -> None:
    """The seed's "Resource Monitoring": ``client.metrics.query(workspace_id=..., metric=
    "cpu_usage", period="1h")`` over samples a workload reported, and ``client.alerts.create(
    name="High CPU", condition="avg(cpu_usage) > 80", duration="5m", notifications=[...])``
    that fires when the reported CPU crosses 80."""
    from hexabase import BadRequestError, Client

    client = Client(api_key=hexabase.api_key, base_url=hexabase.url)
    ws_123 = client.workspaces.create(name="monitored").id

    # Set up alerts
    alert = client.alerts.create(
        name="High CPU",
        condition="avg(cpu_usage) > 80",
        duration="5m",
        notifications=["email:ops@example.com"],
    )

    reported = client.metrics.report_samples(
        ws_123,
        samples=[{"metric": "cpu_usage", "value": 95.0}, {"metric": "cpu_usage", "value": 85.0}],
    )

    # Get metrics
    metrics = client.metrics.query(workspace_id=ws_123, metric="cpu_usage", period="1h")

    assert (metrics.metric, metrics.unit, metrics.samples, metrics.value) == (
        "cpu_usage",
        "percent",
        2,
        90.0,
    )
    assert [p.value for p in metrics.data if p.value is not None] == [90.0]
    assert reported.alerts_triggered == [alert.id]
    assert client.alerts.get(alert.id).state == "firing"
    assert client.alerts.acknowledge(alert.id).state == "acknowledged"
    with pytest.raises(BadRequestError) as bad_condition:
        client.alerts.create(name="bad", condition="avg(cpu_usage) >> 80", duration="5m")
    assert bad_condition.value.details["field"] == "condition"
    with pytest.raises(BadRequestError) as bad_period:
        client.metrics.query(workspace_id=ws_123, metric="cpu_usage", period="2h")
    assert bad_period.value.details["field"] == "period"
    client.close()


def test_hexabase_typescript_snippet(hexabase: Example, node: str, tmp_path: Path) -> None:
    """``import { HexabaseClient } from '@hexabase/sdk'``; ``new HexabaseClient({ apiKey:
    process.env.HEXABASE_API_KEY })``; ``await client.workspaces.list()``."""
    snippet = """import { HexabaseClient } from '@hexabase/sdk';

const client = new HexabaseClient({
  apiKey: process.env.HEXABASE_API_KEY,
  baseURL: process.env.BASE_URL,
});

const workspaces = await client.workspaces.list();
const names = [];
for await (const workspace of workspaces) names.push(workspace.name);
console.log(JSON.stringify({ client: client.constructor.name, names }));
"""
    seen = run_typescript_snippet(
        node,
        "hexabase",
        "@hexabase/sdk",
        snippet,
        tmp_path,
        HEXABASE_API_KEY=hexabase.api_key,
        BASE_URL=hexabase.url,
    )
    assert seen["client"] == "HexabaseClient"
    assert "production" in seen["names"]


# --- KeyNest (seed 004) --------------------------------------------------------------------


def register(keynest: Example) -> str:
    """A new user's token (``POST /api/auth/register/`` through the SDK)."""
    from keynest import KeyNestClient  # type: ignore[import-not-found]

    email = f"sdk-{uuid.uuid4().hex[:8]}@example.com"
    with KeyNestClient(base_url=keynest.url, api_key="") as anonymous:
        return str(anonymous.auth.register(email=email, password="s3cure-pass!").token)


def test_keynest_python_sdk_snippet(keynest: Example) -> None:
    """The seed's "Python SDK" block: ``KeyNestClient(token=...)``, ``projects.list()``,
    ``environments.variables(env_id=...)``, ``variables.create(..., environment_id=...)``."""
    from keynest import KeyNestClient

    token = register(keynest)
    setup = KeyNestClient(token=token, base_url=keynest.url)
    project = setup.projects.create(name="Seed project")
    environment = setup.environments.create(name="production", project=project.id)
    setup.close()

    # Initialize client
    client = KeyNestClient(token=token, base_url=keynest.url)

    # List projects
    projects = client.projects.list()

    # Get environment variables
    variables = client.environments.variables(env_id=environment.id)

    # Create variable
    client.variables.create(key="NEW_SECRET", value="secret_value", environment_id=environment.id)

    assert [p.id for p in projects] == [project.id]
    assert variables.count == 0
    listed = client.environments.variables(env_id=environment.id)
    assert [v.key for v in listed.results] == ["NEW_SECRET"]
    client.close()


def test_keynest_token_is_sent_with_the_token_word(keynest: Example) -> None:
    """``token=`` and ``api_key=`` are one credential, sent as ``Authorization: Token <key>``."""
    from keynest import AuthenticationError, KeyNestClient

    with pytest.raises(TypeError, match="not both"):
        KeyNestClient(token="a", api_key="b")
    token = register(keynest)
    with KeyNestClient(token=token, base_url=keynest.url) as client:
        assert client.auth.get_profile().email.startswith("sdk-")
    with KeyNestClient(api_key=token, base_url=keynest.url) as client:
        assert client.auth.get_profile().email.startswith("sdk-")
    with (
        KeyNestClient(token="0" * 40, base_url=keynest.url, max_retries=0) as client,
        pytest.raises(AuthenticationError),
    ):
        client.auth.get_profile()


def test_keynest_typescript_snippet(keynest: Example, node: str, tmp_path: Path) -> None:
    """The seed's Node.js block as an ES module: ``new KeyNest({ token })``,
    ``client.projects.list()``, ``client.environments.variables(id)``,
    ``client.variables.create({ key, value, environment })`` (the seed's ``environmentId`` is
    the API's ``environment`` field: the TypeScript SDK keeps wire names)."""
    from keynest import KeyNestClient

    token = register(keynest)
    with KeyNestClient(token=token, base_url=keynest.url) as setup:
        project = setup.projects.create(name="TS project")
        environment = setup.environments.create(name="staging", project=project.id)
    snippet = """import { KeyNest } from '@keynest/sdk';

const client = new KeyNest({
  token: process.env.KEYNEST_TOKEN,
  baseURL: process.env.BASE_URL,
});

// List projects
const projects = await client.projects.list();

// Get variables
const variables = await client.environments.variables(process.env.ENV_ID);

// Create variable
await client.variables.create({
  key: 'NEW_SECRET',
  value: 'secret_value',
  environment: process.env.ENV_ID,
});

const after = await client.environments.variables(process.env.ENV_ID);
console.log(JSON.stringify({
  projects: projects.results.map((p) => p.id),
  before: variables.count,
  after: after.results.map((v) => v.key),
}));
"""
    seen = run_typescript_snippet(
        node,
        "keynest",
        "@keynest/sdk",
        snippet,
        tmp_path,
        KEYNEST_TOKEN=token,
        BASE_URL=keynest.url,
        ENV_ID=environment.id,
    )
    assert seen == {"projects": [project.id], "before": 0, "after": ["NEW_SECRET"]}


# --- yourcompany (seed 002) ----------------------------------------------------------------


def test_yourcompany_python_sdk_snippet(yourcompany: Example) -> None:
    """``from your_software import Client``; ``client.resources.list()``."""
    from your_software import Client  # type: ignore[import-not-found]

    client = Client(api_key=yourcompany.api_key, base_url=yourcompany.url)
    resources = client.resources.list()
    assert list(resources) == []
    client.close()


def test_yourcompany_typescript_snippet(yourcompany: Example, node: str, tmp_path: Path) -> None:
    """``new Client({ apiKey: 'YOUR_API_KEY' })``; ``await client.resources.list()`` (imported
    as an ES module: the SDK is ESM-only, so the seed's ``require(...)`` needs Node >= 22)."""
    snippet = """import { Client } from 'your-software-sdk';

const client = new Client({ apiKey: process.env.API_KEY, baseURL: process.env.BASE_URL });
const resources = await client.resources.list();
let count = 0;
for await (const resource of resources) count += 1;
console.log(JSON.stringify({ count }));
"""
    seen = run_typescript_snippet(
        node,
        "yourcompany",
        "your-software-sdk",
        snippet,
        tmp_path,
        API_KEY=yourcompany.api_key,
        BASE_URL=yourcompany.url,
    )
    assert seen == {"count": 0}
