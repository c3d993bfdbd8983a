"""The compiled TypeScript SDK's ``EventStream`` against a live server's ``/logs/stream``.

``stream.mjs`` replays a project's log from ``Last-Event-ID: 0`` through a fetch that drops
the first connection after one event, then reads a line caused while a stream is open.
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
    workdir = tmp_path_factory.mktemp("sdk-ts-stream")
    with serving(workdir) as base:
        yield base


@pytest.fixture(scope="module")
def seen(node: str, compiled_sdk: Path, server: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "SPECWAY_API_KEY"}
    proc = subprocess.run(
        [node, str(HERE / "stream.mjs"), compiled_sdk.as_uri(), server],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_a_dropped_stream_resumes_after_its_last_event(seen: dict[str, Any]) -> None:
    resume = seen["resume"]
    first, second = resume["streamRequests"]
    assert first == {"lastEventId": "0", "accept": "text/event-stream"}
    assert second["lastEventId"].isdigit()
    assert second["lastEventId"] != "0"
    assert resume["slept"] == [3000]  # the server's retry: 3000
    assert resume["gets"] == 3
    assert resume["repeated"] is False
    assert resume["lastEventId"].isdigit()
    assert resume["lastEventName"] == "log"


def test_a_line_caused_while_open_arrives(seen: dict[str, Any]) -> None:
    assert seen["live"] == {"component": "api"}


def test_an_unknown_project_throws_not_found(seen: dict[str, Any]) -> None:
    assert seen["missing"] == "NotFoundError"
