"""Hexabase's "Streaming APIs" (seed 001) through its generated Python SDK and a live server.

The seed's loops run as printed::

    for log in client.logs.stream(deployment_id="dep_123"):
        print(f"{log.timestamp}: {log.message}")

    for metric in client.metrics.stream(workspace_id="ws_123", metric="cpu_usage"):
        print(f"CPU: {metric.value}%")

while a second client plays the workload, reporting log lines and samples until the loop has
read one (each loop ends with ``break`` once it has, as a reader of the seed would end it).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tests.examples.test_seed_snippets import Example, serve


@pytest.fixture(scope="module")
def hexabase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Example]:
    yield from serve("hexabase", "hexabase", tmp_path_factory)


@contextmanager
def workload(report: Callable[[], object]) -> Iterator[None]:
    """``report()`` every 0.2 s in a thread while the block runs (the first may come before
    the stream is open: the ones after it are seen)."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(0.2):
            report()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def _client(hexabase: Example) -> Any:
    return hexabase.module.Client(api_key=hexabase.api_key, base_url=hexabase.url)


def _deployment(client: Any) -> tuple[str, str]:
    workspace = client.workspaces.create(name=f"streams-{uuid.uuid4().hex[:6]}")
    deployed = client.projects.deploy(
        workspace_id=workspace.id, name=f"app-{uuid.uuid4().hex[:6]}", source="github.com/a/b"
    )
    return workspace.id, deployed.id


def test_hexabase_logs_stream_as_the_seed_shows(
    hexabase: Example, capsys: pytest.CaptureFixture[str]
) -> None:
    with _client(hexabase) as client, _client(hexabase) as agent:
        _, deployment_id = _deployment(client)
        message = f"listening on :8080 ({uuid.uuid4().hex[:6]})"
        line = {"level": "info", "message": message}
        with workload(lambda: agent.logs.report(deployment_id, [line])):
            for log in client.logs.stream(deployment_id=deployment_id):
                print(f"{log.timestamp}: {log.message}")
                if log.message == message:
                    break
    printed = capsys.readouterr().out.splitlines()
    assert printed
    stamp, _, text = printed[-1].partition(": ")
    assert text == message
    assert stamp.startswith("20")  # a datetime, printed as the seed's f-string prints it


def test_hexabase_metrics_stream_as_the_seed_shows(
    hexabase: Example, capsys: pytest.CaptureFixture[str]
) -> None:
    with _client(hexabase) as client, _client(hexabase) as agent:
        workspace_id, _ = _deployment(client)
        sample = {"metric": "cpu_usage", "value": 42.5}
        other = {"metric": "memory_usage", "value": 512}
        with workload(lambda: agent.metrics.report_samples(workspace_id, [other, sample])):
            for metric in client.metrics.stream(workspace_id=workspace_id, metric="cpu_usage"):
                print(f"CPU: {metric.value}%")
                break
    assert capsys.readouterr().out == "CPU: 42.5%\n"


def test_hexabase_streams_resume_after_the_last_event_without_repeats(hexabase: Example) -> None:
    with _client(hexabase) as client:
        workspace_id, deployment_id = _deployment(client)
        client.logs.report(deployment_id, [{"message": "one"}, {"message": "two"}])
        with client.logs.stream(deployment_id=deployment_id, last_event_id="0") as stream:
            first = next(iter(stream))
            resume_after = stream.last_event_id
        assert first.message == "one"
        assert resume_after == str(first.id)
        client.logs.report(deployment_id, [{"message": "three", "level": "warn"}])
        with client.logs.stream(deployment_id=deployment_id, last_event_id=resume_after) as again:
            replayed = [next(iter(again)).message, next(iter(again)).message]
        assert replayed == ["two", "three"]

        cpu = [{"metric": "cpu_usage", "value": v} for v in (1.0, 2.0, 3.0)]
        client.metrics.report_samples(workspace_id, cpu[:1])
        with client.metrics.stream(
            workspace_id=workspace_id, metric="cpu_usage", last_event_id="0"
        ) as metrics:
            assert next(iter(metrics)).value == 1.0
            after = metrics.last_event_id
        client.metrics.report_samples(workspace_id, [{"metric": "memory_usage", "value": 9}])
        client.metrics.report_samples(workspace_id, cpu[1:])
        with client.metrics.stream(
            workspace_id=workspace_id, metric="cpu_usage", last_event_id=after
        ) as metrics:
            assert [next(iter(metrics)).value for _ in range(2)] == [2.0, 3.0]


def test_hexabase_stream_errors_are_the_envelope(hexabase: Example) -> None:
    with _client(hexabase) as client:
        workspace_id, deployment_id = _deployment(client)
    auth = {"Authorization": f"Bearer {hexabase.api_key}"}
    url = f"{hexabase.url}/deployments/{deployment_id}/logs/stream"
    bad = httpx.get(url, headers={**auth, "Last-Event-ID": "abc"}, timeout=10)
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "INVALID_REQUEST"
    missing = httpx.get(
        f"{hexabase.url}/deployments/dep_missing0000/logs/stream", headers=auth, timeout=10
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    metric = httpx.get(
        f"{hexabase.url}/workspaces/{workspace_id}/metrics/stream",
        params={"metric": "disk_usage"},
        headers=auth,
        timeout=10,
    )
    assert metric.status_code == 400
