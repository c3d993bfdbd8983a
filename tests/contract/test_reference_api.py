"""schemathesis over every operation of openapi.yaml against a live server.

Positive and negative data, plus the stateful phase driven by the spec's OpenAPI links. The
checks: no 5xx, status codes, content types, response headers and bodies conform to the spec.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from specway.spec import load_spec_document

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = int(os.environ.get("SPECWAY_CONTRACT_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(load_spec_document(ROOT / "openapi.yaml"))
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,
)

pytestmark = pytest.mark.contract


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    derandomize=True,
)
def test_operation_conforms(case: Any, live_server: str) -> None:
    case.call_and_validate(base_url=live_server, checks=CHECKS)


def test_stateful_links(live_server: str) -> None:
    machine = schema.as_state_machine()

    class Links(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": live_server}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Links.run(
        settings=hypothesis.settings(
            max_examples=max(5, MAX_EXAMPLES // 2),
            deadline=None,
            stateful_step_count=6,
            suppress_health_check=list(hypothesis.HealthCheck),
            derandomize=True,
        )
    )
