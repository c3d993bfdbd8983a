"""schemathesis over every operation of every example spec, each against a live server.

One ``specway serve --spec examples/<name>/openapi.yaml`` per example (uvicorn, its own SQLite),
called with a real key minted by ``specway keys generate --spec`` (the example's key format).
Positive and negative data; the checks: no 5xx, status codes, content types and bodies conform
to that example's spec (so errors come in that example's envelope).

Examples are discovered from ``examples/*/openapi.yaml``. The examples per operation are few
(``SPECWAY_EXAMPLES_CONTRACT_EXAMPLES``, default 8) so all examples together stay around a
minute and a half; the reference API's own contract run (``tests/contract``) goes deeper.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from specway.spec import load_spec_document
from specway.spec.model import load_model
from tests.examples.support import example_names, example_spec

MAX_EXAMPLES = int(os.environ.get("SPECWAY_EXAMPLES_CONTRACT_EXAMPLES", "8"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

SPECWAY = (sys.executable, "-m", "specway")

pytestmark = pytest.mark.contract


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveExample:
    """``specway serve`` of one example, with a key for it.

    Construction only starts processes (``specway keys generate``, which also creates the
    database, then the server); :meth:`ready` waits for them, so several examples start in
    parallel.
    """

    def __init__(self, name: str, workdir: Path, port: int) -> None:
        self.name = name
        self.workdir = workdir
        self.spec = example_spec(name)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = workdir / "server.log"
        self.env = {
            **os.environ,
            "SPECWAY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'example.db'}",
            "SPECWAY_SECRET_KEY": "examples-contract-secret-key-0123456789",
            "SPECWAY_WEBHOOK_WORKER": "false",
            "SPECWAY_SPEC_PATH": str(self.spec),
        }
        # Every scope the example's spec knows (its own names, e.g. example.com's read/write).
        names = load_model(self.spec).scopes.names
        scopes = [arg for s in names for arg in ("--scope", s)]
        self.keygen = subprocess.Popen(
            [*SPECWAY, "keys", "generate", "--spec", str(self.spec), "--name", "contract", *scopes],
            cwd=workdir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.headers: dict[str, str] = {}

    def serve(self) -> None:
        """Once the key exists (and with it the migrated database): start the server."""
        out, err = self.keygen.communicate(timeout=120)
        if self.keygen.returncode != 0:
            raise RuntimeError(f"{self.name}: keys generate failed: {err.decode()}")
        schemes = {s.get("type") for s in load_model(self.spec).security_schemes.values()}
        word = "Bearer" if "http" in schemes else "Token"
        self.headers = {"Authorization": f"{word} {out.decode().strip()}"}
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [*SPECWAY, "serve", "--spec", str(self.spec), "--port", str(self.port)],
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text(errors="replace"))
            try:
                if httpx.get(self.url + "/openapi.json", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name}: server did not answer in 60 s")

    def stop(self) -> str:
        if self.keygen.poll() is None:
            self.keygen.kill()
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture(scope="module")
def live_examples(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, LiveExample]]:
    """The selected examples' servers, started together; stopped (logs checked) afterwards."""
    selected = {getattr(item, "originalname", item.name) for item in request.session.items}
    servers = {
        name: LiveExample(name, tmp_path_factory.mktemp(f"contract-{name}"), port)
        for name, port in PORTS.items()
        if f"test_{name}_conforms" in selected
    }
    try:
        for server in servers.values():
            server.serve()
        for server in servers.values():
            server.ready()
        yield servers
    finally:
        logs = {name: server.stop() for name, server in servers.items()}
    for name, log in logs.items():
        assert "Traceback" not in log, f"{name}:\n{log[-4000:]}"


def contract_test(name: str) -> Callable[..., None]:
    """The schemathesis test of one example's spec."""
    schema = schemathesis.openapi.from_dict(load_spec_document(example_spec(name)))
    # The server's port is chosen now so the base URL (with the spec's `/v1`) is known.
    base_path = load_model(example_spec(name)).base_path
    schema.config.update(base_url=f"http://127.0.0.1:{PORTS[name]}{base_path}")
    # The documented examples and random data; the exhaustive coverage phase is the reference
    # run's job (tests/contract), too slow for every example on every CI run.
    schema.config.phases.update(phases=["examples", "fuzzing"])
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        deterministic=True,
    )

    @schema.parametrize()
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        derandomize=True,
    )
    def test(case: Any, live_examples: dict[str, LiveExample]) -> None:
        case.call_and_validate(headers=live_examples[name].headers, checks=CHECKS)

    test.__name__ = f"test_{name}_conforms"
    return test


PORTS = {name: free_port() for name in example_names()}
for _name in example_names():
    globals()[f"test_{_name}_conforms"] = contract_test(_name)
