"""Parse stage for the webhook event catalogue (``x-webhooks``)."""

from __future__ import annotations

from typing import Any

from specway.codegen.envelope import EXAMPLE_TIMESTAMP
from specway.codegen.examples import ExampleSynthesizer
from specway.codegen.ir import Schema, WebhookEvent
from specway.codegen.schemas import SchemaReader
from specway.spec import SpecModel
from specway.spec.problems import pointer

EXAMPLE_MESSAGE_ID = "msg_2b1c9d8e7f6a5b4c3d2e1f0a"


def _is_envelope(schema: Schema, synth: ExampleSynthesizer) -> bool:
    """Whether the event schema describes the whole delivery (``event`` + ``data``)."""
    seen: set[str] = set()
    while schema.kind == "ref" and schema.ref and schema.ref not in seen:
        seen.add(schema.ref)
        schema = synth.schemas[schema.ref]
    names = {p.name for p in schema.properties}
    return "data" in names and bool(names & {"event", "type"})


def read_webhooks(
    model: SpecModel, reader: SchemaReader, synth: ExampleSynthesizer
) -> tuple[WebhookEvent, ...]:
    """Every event of the catalogue, sorted by name, with a full delivery body as example."""
    raw_hooks: dict[str, Any] = model.document.get("x-webhooks") or {}
    events = []
    for name in sorted(model.webhook_events):
        event = model.webhook_events[name]
        post = (raw_hooks.get(name) or {}).get("post") or {}
        at = pointer("x-webhooks", name, "post", "requestBody", "content", "application/json")
        schema = reader.read(event.schema, at + "/schema") if event.schema else None
        media = ((post.get("requestBody") or {}).get("content") or {}).get("application/json") or {}
        if "example" in media:
            example: Any = media["example"]
        elif schema is not None:
            example = synth.example(schema, "response")
        else:
            example = {}
        if schema is None or not _is_envelope(schema, synth):
            example = {
                "id": EXAMPLE_MESSAGE_ID,
                "event": name,
                "timestamp": EXAMPLE_TIMESTAMP,
                "data": example,
            }
        events.append(
            WebhookEvent(
                name=name,
                summary=event.summary,
                description=str(post.get("description") or "").strip(),
                schema=schema,
                payload_example=example,
                anchor="event-" + name.replace(".", "-").replace("_", "-"),
            )
        )
    return tuple(events)
