"""Server-Sent Events: what a handler returns for a ``text/event-stream`` operation.

A handler builds an async iterable of :class:`Event` and returns :func:`event_stream` of it::

    async def stream_logs(project_id: str) -> StreamingResponse:
        after = last_event_id(context.current_scope(), int)   # 400 in the envelope if bad

        async def events() -> AsyncIterator[Event | Ready]:
            async with feed.subscribe(project_id) as queue:     # subscribe first, then read
                yield READY                                     # the client sees the stream open
                lines = replay_then_live(queue, read_after(after), position=line_position)
                async for line in lines:
                    yield Event(line.to_dict(), id=str(line.position), event="log")

        return event_stream(events(), heartbeat=15, max_seconds=300)

The stream opens (``retry:`` and a ``: connected`` comment go out) when the source yields
:data:`READY` or its first event, or has been quiet for ``heartbeat`` seconds: a source that
subscribes to its live feed and then yields ``READY`` misses nothing the client causes after
seeing the stream open. The response frames each event (``id:``, ``event:``, ``data:`` as
JSON, several ``data:`` lines for a text with line breaks), sends a ``: keep-alive`` comment
whenever the source is quiet for ``heartbeat`` seconds, and ends after ``max_seconds``
(clients reconnect with ``Last-Event-ID``, as ``EventSource`` does). A client that goes away
cancels the source: its ``async with`` blocks and ``finally`` clauses run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from starlette.responses import StreamingResponse

from specway.errors import BadRequest
from specway.types import Scope, header

__all__ = [
    "READY",
    "Event",
    "Ready",
    "encode_event",
    "event_stream",
    "last_event_id",
    "position",
    "replay_then_live",
]

T = TypeVar("T")
IdT = TypeVar("IdT")

HEARTBEAT = b": keep-alive\n\n"
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_FORBIDDEN_IN_FIELD = ("\n", "\r", "\0")


@dataclass(frozen=True, slots=True)
class Event:
    """One server-sent event: ``data`` is sent as JSON, or as is when it is a ``str``."""

    data: Any
    id: str | None = None
    event: str | None = None


class Ready:
    """The type of :data:`READY`."""

    def __repr__(self) -> str:
        return "READY"


READY = Ready()
"""Yielded by a source once it is subscribed to its live feed: the stream opens then."""


def _field(name: str, value: str) -> bytes:
    if any(c in value for c in _FORBIDDEN_IN_FIELD):
        raise ValueError(f"an event's {name} can't hold a line break or NUL: {value!r}")
    return f"{name}: {value}\n".encode()


def encode_event(event: Event) -> bytes:
    """The wire form of ``event``: its fields, one ``data:`` line per line, a blank line."""
    parts = []
    if event.id is not None:
        parts.append(_field("id", event.id))
    if event.event is not None:
        parts.append(_field("event", event.event))
    if isinstance(event.data, str):
        text = event.data.replace("\r\n", "\n").replace("\r", "\n")
        parts += [b"data: " + line.encode() + b"\n" for line in text.split("\n")]
    else:
        parts.append(b"data: " + orjson.dumps(event.data) + b"\n")
    return b"".join(parts) + b"\n"


def position(raw: str) -> int:
    """The usual event id: a position in a stream, a non-negative integer (``ValueError``
    otherwise), for :func:`last_event_id`."""
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value


def last_event_id(scope: Scope, parse: Callable[[str], IdT]) -> IdT | None:
    """The request's ``Last-Event-ID`` read by ``parse`` (``None`` when absent or empty).

    ``parse`` raises ``ValueError`` for an id this stream never sent; the request then gets a
    400 in the API's error envelope, naming the header.
    """
    raw = header(scope, b"last-event-id")
    if not raw:
        return None
    try:
        return parse(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest(
            "Invalid 'Last-Event-ID': not an id this stream sent",
            details=[{"field": "Last-Event-ID", "in": "header", "reason": "not an event id"}],
        ) from None


async def replay_then_live(
    live: asyncio.Queue[T],
    replay: Awaitable[Iterable[T]],
    *,
    position: Callable[[T], int],
) -> AsyncIterator[T]:
    """The items a reconnecting client missed, then the live ones, none twice.

    Subscribe (``live``) *before* reading the missed items (``replay``), so nothing published in
    between is lost; a live item at or before the newest replayed position is a duplicate and
    is dropped.
    """
    newest: int | None = None
    for item in await replay:
        newest = position(item) if newest is None else max(newest, position(item))
        yield item
    while True:
        item = await live.get()
        if newest is None or position(item) > newest:
            yield item


async def _frames(
    events: AsyncIterable[Event | Ready],
    heartbeat: float,
    max_seconds: float | None,
    retry_ms: int | None,
) -> AsyncIterator[bytes]:
    # The source runs in a task of its own so a quiet source can be waited on with a timeout
    # (a heartbeat) without cancelling the source's own await.
    queue: asyncio.Queue[Event | Ready | None] = asyncio.Queue(1)

    async def pump() -> None:
        try:
            async for event in events:
                await queue.put(event)
        except Exception:
            await queue.put(None)
            raise
        await queue.put(None)

    opening = b"" if retry_ms is None else f"retry: {retry_ms}\n".encode()
    opening += b": connected\n\n"
    producer = asyncio.create_task(pump())
    loop = asyncio.get_running_loop()
    deadline = None if max_seconds is None else loop.time() + max_seconds
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(heartbeat):
                first = await queue.get()
                if isinstance(first, Event):
                    opening += encode_event(first)
                elif first is None:
                    yield opening
                    await producer
                    return
        yield opening
        while True:
            wait = heartbeat if deadline is None else min(heartbeat, deadline - loop.time())
            if wait <= 0:
                return
            try:
                async with asyncio.timeout(wait):
                    event = await queue.get()
            except TimeoutError:
                yield HEARTBEAT
                continue
            if event is None:
                await producer  # raises the source's own error, if it failed
                return
            if isinstance(event, Event):
                yield encode_event(event)
    finally:
        producer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await producer


def event_stream(
    events: AsyncIterable[Event | Ready],
    *,
    heartbeat: float = 15.0,
    max_seconds: float | None = 300.0,
    retry_ms: int | None = 3000,
    headers: Mapping[str, str] | None = None,
) -> StreamingResponse:
    """The ``text/event-stream`` response of ``events`` (see the module's docstring)."""
    if heartbeat <= 0:
        raise ValueError("heartbeat must be positive")
    return StreamingResponse(
        _frames(events, heartbeat, max_seconds, retry_ms),
        media_type="text/event-stream",
        headers={**STREAM_HEADERS, **(headers or {})},
    )
