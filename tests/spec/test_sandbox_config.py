"""``x-specway-auth.sandbox``: its schema check (lint) and its typed read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from specway.spec import SandboxConfig, build_model, lint_document
from specway.spec.extensions import duration_seconds

ROOT = Path(__file__).resolve().parents[2]


def reference() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    return document


def with_sandbox(sandbox: Any) -> dict[str, Any]:
    document = reference()
    document["x-specway-auth"] = {"key_prefix": "hks_live_", "sandbox": sandbox}
    return document


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("P1D", 86400),
        ("PT12H", 43200),
        ("P1DT30M", 88200),
        ("P2W", 1209600),
        ("PT45S", 45),
        (90, 90),
    ],
)
def test_durations(value: int | str, seconds: int) -> None:
    assert duration_seconds(value) == seconds


@pytest.mark.parametrize("value", ["P", "PT", "1D", "P1Y", "P1M", "PT1D", "P1.5D", "p1d"])
def test_durations_refused(value: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        duration_seconds(value)


def test_defaults_without_the_extension() -> None:
    document = reference()
    document.pop("x-specway-auth", None)
    model, problems = build_model(document)
    assert problems == []
    assert model.auth.sandbox == SandboxConfig(isolated=True, ratelimit=True, reset_after=None)


def test_the_reference_spec_resets_daily() -> None:
    model, problems = build_model(reference())
    assert problems == []
    assert model.auth.sandbox == SandboxConfig(isolated=True, ratelimit=True, reset_after=86400)


def test_sandbox_is_read() -> None:
    document = with_sandbox({"isolated": True, "ratelimit": False, "reset_after": "P1D"})
    assert lint_document(document) == []
    model, problems = build_model(document)
    assert problems == []
    assert model.auth.key_prefix == "hks_live_"
    assert model.auth.sandbox == SandboxConfig(isolated=True, ratelimit=False, reset_after=86400)


@pytest.mark.parametrize(
    ("sandbox", "pointer", "needle"),
    [
        ({"isolated": "yes"}, "/x-specway-auth/sandbox/isolated", "boolean"),
        ({"ratelimt": False}, "/x-specway-auth/sandbox", "ratelimt"),
        ({"reset_after": "1 day"}, "/x-specway-auth/sandbox/reset_after", "reset_after"),
        ({"reset_after": 0}, "/x-specway-auth/sandbox/reset_after", "reset_after"),
        (True, "/x-specway-auth/sandbox", "object"),
    ],
)
def test_bad_values_are_reported_with_their_pointer(
    sandbox: Any, pointer: str, needle: str
) -> None:
    problems = lint_document(with_sandbox(sandbox), "openapi.yaml")
    assert problems, sandbox
    hit = [p for p in problems if p.pointer.startswith(pointer)]
    assert hit, [p.render() for p in problems]
    text = " ".join(p.pointer + " " + p.message + " " + p.fix for p in hit)
    assert needle in text
    # The typed read never crashes on a bad value: it falls back to the default.
    model, found = build_model(with_sandbox(sandbox))
    assert found
    assert isinstance(model.auth.sandbox, SandboxConfig)
