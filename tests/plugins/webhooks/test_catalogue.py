from __future__ import annotations

import pytest

from specway.errors import BadRequest
from specway.plugins.webhooks.catalogue import (
    EventCatalogue,
    EventPayloadError,
    matches,
    openapi_to_jsonschema,
)
from specway.spec import SpecModel

REQUIRED_EVENTS = {
    "project.created",
    "project.updated",
    "project.deleted",
    "deployment.created",
    "deployment.completed",
    "deployment.failed",
    "variable.created",
    "variable.updated",
    "variable.deleted",
    "user.created",
    "api_key.created",
    "api_key.revoked",
    "webhook.test",
    "endpoint.disabled",
}


def test_reference_spec_declares_the_catalogue(reference_model: SpecModel) -> None:
    catalogue = EventCatalogue(reference_model)
    assert set(catalogue.names()) >= REQUIRED_EVENTS


def test_every_example_matches_its_schema(reference_model: SpecModel) -> None:
    catalogue = EventCatalogue(reference_model)
    for name in catalogue.names():
        event = catalogue.events[name]
        assert event.summary, name
        assert event.example is not None, name
        catalogue.validate(name, event.example)


def test_bad_payloads_are_refused(reference_model: SpecModel) -> None:
    catalogue = EventCatalogue(reference_model)
    with pytest.raises(EventPayloadError, match="project"):
        catalogue.validate("project.created", {"project": {"id": "proj_x"}})
    with pytest.raises(EventPayloadError, match="unknown webhook event"):
        catalogue.validate("project.exploded", {})
    # nullable fields accept null, non-nullable ones don't
    example = catalogue.events["endpoint.disabled"].example
    catalogue.validate("endpoint.disabled", {**example, "failing_since": None})
    with pytest.raises(EventPayloadError):
        catalogue.validate("endpoint.disabled", {**example, "disabled_at": None})


def test_filters_accept_names_wildcards_and_name_unknown_ones(
    reference_model: SpecModel,
) -> None:
    catalogue = EventCatalogue(reference_model)
    assert catalogue.check_filters(["deployment.*", "project.created", "project.created"]) == [
        "deployment.*",
        "project.created",
    ]
    assert catalogue.check_filters(["*"]) == ["*"]
    with pytest.raises(BadRequest) as raised:
        catalogue.check_filters(["project.created", "project.exploded", "nothing.*"])
    assert "'project.exploded'" in raised.value.message
    assert "'nothing.*'" in raised.value.message
    assert len(raised.value.details) == 2


@pytest.mark.parametrize(
    ("patterns", "event", "expected"),
    [
        (["*"], "project.created", True),
        (["project.*"], "project.created", True),
        (["project.*"], "projects.created", False),
        (["deployment.*"], "project.created", False),
        (["project.created"], "project.created", True),
        (["project.created"], "project.updated", False),
        ([], "project.created", False),
    ],
)
def test_matches(patterns: list[str], event: str, expected: bool) -> None:
    assert matches(patterns, event) is expected


def test_nullable_becomes_json_schema() -> None:
    converted = openapi_to_jsonschema(
        {"type": "string", "nullable": True, "enum": ["a"], "items": {"nullable": False}}
    )
    assert converted == {"type": ["string", "null"], "enum": ["a", None], "items": {}}
