"""The Go SDK's ``EventStream`` against a live server's ``/logs/stream``.

``stream/main.go`` replays a project's log from ``Last-Event-ID: 0`` through a transport that
drops the first connection after one event, then streams an unknown project.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from go_support import HERE, run
from test_go_live import go_module

from tests.contract.conftest import serving


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("sdk-go-stream")
    with serving(workdir) as base:
        yield base


@pytest.fixture(scope="module")
def seen(go: str, server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    module = go_module(tmp_path_factory.mktemp("go-stream"), HERE / "stream" / "main.go")
    proc = run([go, "run", ".", server], cwd=module, timeout=240)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_a_dropped_stream_resumes_after_its_last_event(seen: dict[str, Any]) -> None:
    resume = seen["resume"]
    first, second = resume["resumed"]
    assert first == "0"
    assert second.isdigit()
    assert second != "0"
    assert resume["gets"] == 3
    assert resume["repeated"] is False
    assert resume["lastEventID"].isdigit()
    assert resume["eventName"] == "log"
    assert resume["waitedMs"] >= 3000  # the server's retry: 3000 before reconnecting


def test_an_unknown_project_ends_with_not_found(seen: dict[str, Any]) -> None:
    assert seen["missing"] == {"next": False, "notFound": True}
