"""schemathesis on the OpenAPI 3.1 fixture served in process: positive and negative data for its
type arrays, const, prefixItems, $ref with siblings and unevaluatedProperties; no 5xx, and every
status, content type and body as the document says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from specway.app import create_app
from specway.settings import Settings
from specway.spec import load_spec_document

HERE = Path(__file__).resolve().parent
SPEC = HERE.parent / "fixtures" / "oas31" / "openapi.yaml"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(load_spec_document(SPEC))
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=40, deterministic=True
)

pytestmark = pytest.mark.contract


async def _create_gadget(body: dict[str, Any]) -> Any:
    return {"id": "g_1", **{k: body[k] for k in ("name", "kind", "size")}}, 201


async def _get_gadget(gadget_id: str, size: int | None = None, mode: str = "plain") -> Any:
    return {"id": gadget_id, "name": mode, "kind": "gadget", "size": size, "tag": None}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("oas31")
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{folder / 'specway.db'}",
        secret_key="contract-test-secret-key-0123456789",
    )
    app = create_app(
        SPEC, settings, handlers={"createGadget": _create_gadget, "getGadget": _get_gadget}
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@schema.parametrize()
@hypothesis.settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    derandomize=True,
)
def test_operation_conforms(case: Any, served: TestClient) -> None:
    response = served.request(**case.as_transport_kwargs(base_url="http://testserver"))
    case.validate_response(response, checks=CHECKS)
