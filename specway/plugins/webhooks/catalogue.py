"""The event catalogue: the event types ``webhooks`` (OpenAPI 3.1) or ``x-webhooks`` (3.0)
declares and their payload schemas.

Each entry is an OpenAPI path item whose ``post`` request body describes the event's ``data``
payload. OpenAPI 3.0 schemas (JSON Schema Draft 4 plus ``nullable``) are converted once at
startup and validated with :mod:`jsonschema` as Draft 4; OpenAPI 3.1 schemas as JSON Schema
2020-12. Subscriptions filter events
with exact names, ``*`` (everything) or a prefix wildcard such as ``deployment.*``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
from jsonschema import Draft4Validator, Draft202012Validator
from jsonschema.exceptions import best_match

from specway.errors import BadRequest, SpecwayError
from specway.spec import SpecModel
from specway.spec.dialect import is_oas31, standalone_schema, webhooks_key
from specway.spec.extensions import WebhookSigningConfig


class EventPayloadError(SpecwayError):
    """``emit_event`` was given an unknown event type or a payload its schema rejects."""


@dataclass(frozen=True, slots=True)
class EventType:
    """One declared event: name, summary, description, payload schema and example."""

    name: str
    summary: str
    description: str
    schema: dict[str, Any]
    example: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "summary": self.summary,
            "description": self.description,
            "schema": self.schema,
            "example": self.example,
        }


def openapi_to_jsonschema(node: Any) -> Any:
    """A copy of an OpenAPI 3.0 schema with ``nullable: true`` expressed as JSON Schema."""
    if isinstance(node, list):
        return [openapi_to_jsonschema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: openapi_to_jsonschema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


class EventCatalogue:
    """The events of one spec, with a compiled validator per event."""

    def __init__(self, spec_model: SpecModel) -> None:
        document = spec_model.document
        raw = document.get(webhooks_key(document)) or document.get("x-webhooks") or {}
        # How deliveries are signed besides Standard Webhooks (x-specway-webhooks).
        self.signing = WebhookSigningConfig.of(spec_model.document.get("x-specway-webhooks"))
        components = openapi_to_jsonschema(
            copy.deepcopy(spec_model.document.get("components") or {})
        )
        self.events: dict[str, EventType] = {}
        self._validators: dict[str, Any] = {}
        self._fast: dict[str, Any] = {}
        for name, declared in sorted(spec_model.webhook_events.items()):
            post = (raw.get(name) or {}).get("post") or {}
            media = ((post.get("requestBody") or {}).get("content") or {}).get(
                "application/json"
            ) or {}
            self.events[name] = EventType(
                name=name,
                summary=declared.summary,
                description=str(post.get("description", "")),
                schema=declared.schema,
                example=media.get("example"),
            )
            # The same schema compiled by jsonschema-rs answers "valid?" ~50x faster; the
            # Python validator only runs to describe a payload that is not.
            if is_oas31(document):
                schema = standalone_schema(document, declared.schema)
                self._validators[name] = Draft202012Validator(schema)
                self._fast[name] = jsonschema_rs.validator_for(schema)
                continue
            root = {"allOf": [openapi_to_jsonschema(declared.schema)], "components": components}
            self._validators[name] = Draft4Validator(root)
            self._fast[name] = jsonschema_rs.Draft4Validator(root)

    def __contains__(self, name: object) -> bool:
        return name in self.events

    def names(self) -> list[str]:
        return sorted(self.events)

    def validate(self, event_type: str, data: Any) -> None:
        """Raise :class:`EventPayloadError` unless ``data`` is a valid ``event_type`` payload."""
        validator = self._validators.get(event_type)
        if validator is None:
            raise EventPayloadError(f"unknown webhook event {event_type!r}: not in the catalogue")
        if self._fast[event_type].is_valid(data):
            return
        error = best_match(validator.iter_errors(data))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            raise EventPayloadError(
                f"payload of {event_type!r} does not match its schema at {where}: {error.message}"
            )

    def check_filters(self, patterns: list[str]) -> list[str]:
        """The normalised filter list; ``BadRequest`` naming every unknown event or pattern."""
        unknown = [p for p in patterns if not self._known_pattern(p)]
        if unknown:
            raise BadRequest(
                "Unknown webhook event: " + ", ".join(repr(p) for p in unknown),
                details=[
                    {"field": "events", "in": "body", "reason": f"unknown event {p!r}"}
                    for p in unknown
                ],
            )
        return list(dict.fromkeys(patterns))

    def _known_pattern(self, pattern: str) -> bool:
        if pattern == "*" or pattern in self.events:
            return True
        if pattern.endswith(".*"):
            prefix = pattern[:-1]
            return any(name.startswith(prefix) for name in self.events)
        return False


def matches(patterns: list[str], event_type: str) -> bool:
    """Whether a subscription filter (exact names, ``*``, ``prefix.*``) selects ``event_type``."""
    for pattern in patterns:
        if pattern in ("*", event_type):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False
