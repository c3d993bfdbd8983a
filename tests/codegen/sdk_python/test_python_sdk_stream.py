"""The generated Python SDK's event streams against a live server's ``/logs/stream``."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest
from specway_client import AsyncClient, Client, NotFoundError
from specway_client.models import LogLine

from tests.codegen.sdk_python.conftest import LiveServer


class DropAfterFirstEvent(httpx.BaseTransport):
    """Cuts the first event stream right after its first event; records every stream request."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.stream_requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not request.url.path.endswith("/logs/stream"):
            return response
        self.stream_requests.append(request)
        if len(self.stream_requests) > 1:
            return response

        def cut() -> Iterator[bytes]:
            # Everything up to the end of the first event, then the connection "drops".
            seen = b""
            for chunk in response.stream:  # type: ignore[union-attr]
                seen += chunk
                data = seen.find(b"data: ")
                end = -1 if data < 0 else seen.find(b"\n\n", data)
                if end >= 0:
                    yield seen[: end + 2]
                    response.close()
                    raise httpx.ReadError("connection dropped", request=request)
            yield seen

        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Chunks(cut()),
            request=request,
        )


class _Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


def test_a_dropped_stream_resumes_after_its_last_event_without_repeats(live: LiveServer) -> None:
    with Client(api_key=live.api_key, base_url=live.base_url) as setup:
        project = setup.projects.create(name=f"stream-{uuid.uuid4().hex[:8]}")
        for _ in range(3):
            setup.projects.get(project.id)
    transport = DropAfterFirstEvent()
    slept: list[float] = []
    client = Client(
        api_key=live.api_key, base_url=live.base_url, transport=transport, sleep=slept.append
    )
    gets = f"GET /v1/projects/{project.id} 200"
    seen: list[LogLine] = []
    ids: list[str | None] = []  # two lines may share a millisecond and a message, never an id
    # Last-Event-ID 0: everything the project logged so far is replayed first.
    with client, client.monitoring.stream_logs(project.id, last_event_id="0") as stream:
        for line in stream:
            assert isinstance(line, LogLine)
            seen.append(line)
            ids.append(stream.last_event_id)
            if sum(s.message.startswith(gets) for s in seen) == 3:
                break
        last_id = stream.last_event_id
    assert len(transport.stream_requests) == 2
    first, second = transport.stream_requests
    assert first.headers["last-event-id"] == "0"
    assert first.headers["accept"] == "text/event-stream"
    assert second.headers["last-event-id"].isdigit()
    assert second.headers["last-event-id"] != "0"
    assert slept == [3.0]  # the server's retry: 3000
    assert None not in ids
    assert len(ids) == len(set(ids))
    assert last_id is not None
    assert last_id.isdigit()


def test_the_async_stream_yields_a_line_caused_while_it_is_open(live: LiveServer) -> None:
    async def run() -> LogLine:
        async with AsyncClient(api_key=live.api_key, base_url=live.base_url) as client:
            project = await client.projects.create(name=f"astream-{uuid.uuid4().hex[:8]}")
            stream = client.monitoring.stream_logs(project.id, component="api")

            async def cause() -> None:
                while True:
                    await asyncio.sleep(0.2)
                    await client.projects.get(project.id)

            causing = asyncio.create_task(cause())
            try:
                async with asyncio.timeout(20):
                    async for line in stream:
                        if line.message.startswith(f"GET /v1/projects/{project.id} 200"):
                            return line
            finally:
                causing.cancel()
                await stream.aclose()
            raise AssertionError("the stream ended")

    line = asyncio.run(run())
    assert line.component == "api"
    assert line.timestamp.tzinfo is not None


def test_a_stream_of_an_unknown_project_raises_not_found(live: LiveServer) -> None:
    with Client(api_key=live.api_key, base_url=live.base_url, max_retries=0) as client:
        stream = client.monitoring.stream_logs("proj_missing")
        with pytest.raises(NotFoundError):
            next(iter(stream))
