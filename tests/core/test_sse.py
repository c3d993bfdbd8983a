"""``specway.sse``: framing, Last-Event-ID, replay then live, heartbeats, the deadline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from starlette.responses import StreamingResponse

from specway.errors import BadRequest
from specway.sse import (
    READY,
    Event,
    Ready,
    encode_event,
    event_stream,
    last_event_id,
    replay_then_live,
)


def test_an_event_is_framed_with_its_id_name_and_json_data() -> None:
    framed = encode_event(Event({"message": "a\nb"}, id="7", event="log"))
    assert framed == b'id: 7\nevent: log\ndata: {"message":"a\\nb"}\n\n'


def test_a_text_with_line_breaks_is_one_data_line_per_line() -> None:
    assert encode_event(Event("one\r\ntwo\nthree")) == b"data: one\ndata: two\ndata: three\n\n"


@pytest.mark.parametrize("bad", ["1\n2", "1\r", "a\0"])
def test_an_id_or_name_with_a_line_break_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        encode_event(Event({}, id=bad))
    with pytest.raises(ValueError, match="line break"):
        encode_event(Event({}, event=bad))


def _scope(value: bytes | None) -> dict[str, object]:
    return {"headers": [] if value is None else [(b"last-event-id", value)]}


def test_last_event_id_is_parsed_or_a_400_naming_the_header() -> None:
    assert last_event_id(_scope(None), int) is None
    assert last_event_id(_scope(b""), int) is None
    assert last_event_id(_scope(b"42"), int) == 42
    with pytest.raises(BadRequest) as raised:
        last_event_id(_scope(b"abc"), int)
    assert raised.value.details == [
        {"field": "Last-Event-ID", "in": "header", "reason": "not an event id"}
    ]
    with pytest.raises(BadRequest):
        last_event_id(_scope("é".encode()), str)


async def _replay(items: list[int]) -> list[int]:
    return items


def test_replay_then_live_skips_what_the_replay_already_sent() -> None:
    async def run() -> list[int]:
        live: asyncio.Queue[int] = asyncio.Queue()
        for n in (2, 3, 4, 5):  # published while the replay was read: 2 and 3 are in it too
            live.put_nowait(n)
        seen = []
        async for n in replay_then_live(live, _replay([1, 2, 3]), position=lambda n: n):
            seen.append(n)
            if n == 5:
                break
        return seen

    assert asyncio.run(run()) == [1, 2, 3, 4, 5]


async def _body(response: StreamingResponse) -> list[bytes]:
    chunks = []
    async for chunk in response.body_iterator:
        chunks.append(chunk.encode() if isinstance(chunk, str) else bytes(chunk))
    return chunks


def test_a_quiet_stream_sends_keep_alives_and_ends_at_its_deadline() -> None:
    closed = []

    async def quiet() -> AsyncIterator[Event | Ready]:
        try:
            yield READY
            await asyncio.sleep(10)
            yield Event({})
        finally:
            closed.append(True)

    response = event_stream(quiet(), heartbeat=0.05, max_seconds=0.3, retry_ms=1500)
    assert response.media_type == "text/event-stream"
    assert response.headers["cache-control"] == "no-cache"
    chunks = asyncio.run(_body(response))
    assert chunks[0] == b"retry: 1500\n: connected\n\n"
    assert 3 <= chunks.count(b": keep-alive\n\n") <= 7
    assert closed == [True]  # the source was cancelled and its finally ran


def test_a_finite_source_ends_the_stream_and_its_error_surfaces() -> None:
    async def two() -> AsyncIterator[Event | Ready]:
        yield Event({"n": 1}, id="1")
        yield Event({"n": 2}, id="2")

    chunks = asyncio.run(_body(event_stream(two(), retry_ms=None)))
    assert chunks == [b': connected\n\nid: 1\ndata: {"n":1}\n\n', b'id: 2\ndata: {"n":2}\n\n']

    async def broken() -> AsyncIterator[Event | Ready]:
        yield READY
        raise RuntimeError("feed lost")

    with pytest.raises(RuntimeError, match="feed lost"):
        asyncio.run(_body(event_stream(broken())))
