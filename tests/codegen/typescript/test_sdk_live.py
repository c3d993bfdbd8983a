"""The compiled TypeScript SDK against a live ``specway serve``: CRUD, pages, errors, webhooks.

``live.mjs`` signs up, mints an API key, then works through the SDK only; it receives a real
signed webhook delivery on its own HTTP server and verifies it with ``verifyWebhook``.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ts_support import HERE

from tests.contract.conftest import serving


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("sdk-ts-live")
    env = {
        "SPECWAY_WEBHOOK_WORKER": "true",
        "SPECWAY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
        "SPECWAY_WEBHOOK_ALLOW_HTTP": "true",
    }
    with serving(workdir, env) as base:
        yield base


@pytest.fixture(scope="module")
def seen(node: str, compiled_sdk: Path, server: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "SPECWAY_API_KEY"}
    proc = subprocess.run(
        [node, str(HERE / "live.mjs"), compiled_sdk.as_uri(), server],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_crud(seen: dict[str, Any]) -> None:
    assert seen["keyPrefix"].startswith("sk_")
    assert seen["crud"] == {
        "createdName": "sdk-ts-crud",
        "fetchedId": True,
        "updatedDescription": "second",
        "deleted": True,
    }


def test_404_carries_the_servers_request_id(seen: dict[str, Any]) -> None:
    nf = seen["notFound"]
    assert nf["name"] == "NotFoundError"
    assert nf["isNotFound"] is True
    assert nf["status"] == 404
    assert nf["code"] == "not_found"
    assert nf["requestId"]
    assert nf["requestId"] == nf["headerRequestId"]


def test_auto_pagination_walks_every_page(seen: dict[str, Any]) -> None:
    page = seen["pagination"]
    assert sorted(page["seen"]) == sorted(page["created"])  # the CRUD project was deleted
    assert page["seen"] == sorted(page["seen"])
    assert page["total"] == 7
    assert page["pages"] == 3
    assert page["requests"] == 3  # 3 + 3 + 1
    assert page["firstItems"] == 3
    assert page["hasNext"] is True
    assert page["secondPage"] == 2
    assert page["lastHasNext"] is False
    assert page["afterLast"] is None
    assert page["legacy"] == 7  # the deprecated listAll walks the same pages


def test_an_empty_path_id_throws_at_once(seen: dict[str, Any]) -> None:
    assert seen["emptyId"] == "projectId must not be empty"


def test_idempotency_key_replays_the_first_create(seen: dict[str, Any]) -> None:
    assert seen["idempotency"] == {"sameId": True}


def test_error_classes(seen: dict[str, Any]) -> None:
    bad = seen["badRequest"]
    assert bad["isBadRequest"]
    assert bad["status"] == 400
    assert bad["code"] == "invalid_request"
    assert bad["hasDetails"]
    assert bad["requestId"]
    assert seen["unauthorized"] == {"isAuth": True, "status": 401, "code": "unauthorized"}


def test_a_real_delivery_verifies(seen: dict[str, Any]) -> None:
    hook = seen["webhook"]
    assert hook["event"] == "project.created"
    assert hook["projectId"] == hook["expectedProjectId"]
    assert {
        k: v for k, v in hook.items() if k not in ("event", "projectId", "expectedProjectId")
    } == {
        "webhookId": True,
        "fromText": True,
        "xSignatureOnly": True,
        "tampered": True,
        "wrongSecret": True,
        "stale": True,
    }


def test_a_live_429_is_surfaced_then_retried(seen: dict[str, Any]) -> None:
    limited = seen["rateLimited"]
    assert limited["surfaced"] is True
    assert limited["attempts"] == 11  # the login policy admits 10 a minute
    assert limited["status"] == 429
    assert limited["retryAfter"] >= 1
    assert limited["requestId"] is True
    assert limited["retriedToken"] is True
