"""The Go SDK against a live ``specway serve``: CRUD, pages, a typed 404, a 429, a webhook.

``live/main.go`` signs up, mints an API key and works through the SDK only (``sdk/go`` by a
``replace`` directive); it receives a real signed webhook delivery on its own HTTP server and
verifies it with ``VerifyWebhook``, then prints one JSON object that the tests below check.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from go_support import HERE, SDK, run

from tests.contract.conftest import serving

SERVER_ENV = {
    "SPECWAY_WEBHOOK_WORKER": "true",
    "SPECWAY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
    "SPECWAY_WEBHOOK_ALLOW_HTTP": "true",
}


def go_module(tmp: Path, program: Path) -> Path:
    """A module holding ``program`` as ``main.go`` that uses ``sdk/go`` in place."""
    module = (SDK / "go.mod").read_text().split("module ", 1)[1].split()[0]
    (tmp / "go.mod").write_text(
        f"module sdkprogram\n\ngo 1.19\n\nrequire {module} v0.0.0\n\nreplace {module} => {SDK}\n"
    )
    shutil.copy(program, tmp / "main.go")
    return tmp


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("sdk-go-live")
    with serving(workdir, SERVER_ENV) as base:
        yield base


@pytest.fixture(scope="module")
def seen(go: str, server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    module = go_module(tmp_path_factory.mktemp("go-live"), HERE / "live" / "main.go")
    proc = run([go, "run", ".", server], cwd=module, timeout=240)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_crud_and_a_typed_404_with_the_servers_request_id(seen: dict[str, Any]) -> None:
    crud = seen["crud"]
    assert crud["createdName"] == "sdk-go-crud"
    assert crud["fetchedSame"] is True
    assert crud["updatedDescription"] == "second"
    assert crud["notFound"] is True
    assert (crud["status"], crud["code"]) == (404, "not_found")
    assert crud["requestId"]
    assert crud["requestId"] == crud["headerRequestId"]
    assert crud["emptyIdRefused"] is True


def test_auto_paging_walks_every_page(seen: dict[str, Any]) -> None:
    page = seen["pagination"]
    assert page["same"] is True
    assert page["requests"] == 3  # 2 + 2 + 1
    assert page["firstPage"] == 2
    assert page["pages"] == 3
    assert page["hasNext"] is True
    assert (page["secondPage"], page["secondLength"]) == (2, 2)


def test_a_real_delivery_verifies(seen: dict[str, Any]) -> None:
    assert seen["webhook"] == {
        "event": "project.created",
        "isCreatedEvent": True,
        "projectMatches": True,
        "webhookId": True,
        "tampered": True,
        "stale": True,
        "xSignatureOnly": True,
    }


def test_a_live_429_is_surfaced_then_retried(seen: dict[str, Any]) -> None:
    limited = seen["rateLimited"]
    assert limited["surfaced"] is True
    assert limited["attempts"] == 11  # the login policy admits 10 a minute
    assert limited["status"] == 429
    assert limited["retryAfter"] >= 1
    assert limited["requestId"] is True
    assert limited["retried"] is True
    assert limited["waited"] >= 1
