"""``x-specway-sdk``: the SDKs' package and class names, where operations sit, argument names.

The seeds' own snippets run in ``tests/examples/test_seed_snippets.py``; these check the
generator's reading of the key on small documents.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from specway.codegen import load_ir
from specway.codegen.parse import CodegenError
from specway.codegen.python_sdk import generate_python
from tests.codegen.conftest import minimal_document


def nested_document() -> dict[str, Any]:
    """Environments and their variables, with a body of one required field and an array body."""
    document = minimal_document()
    env_id = {
        "name": "environment_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    ok = {"200": {"description": "ok"}}
    document["paths"] = {
        "/environments/{environment_id}/variables": {
            "get": {
                "operationId": "listEnvironmentVariables",
                "tags": ["Variables"],
                "parameters": [env_id],
                "responses": ok,
            },
        },
        "/variables": {
            "post": {
                "operationId": "createVariable",
                "tags": ["Variables"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["key", "environment"],
                                "properties": {
                                    "key": {"type": "string"},
                                    "environment": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": ok,
            },
        },
        "/environments": {
            "post": {
                "operationId": "createEnvironment",
                "tags": ["Environments"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "description": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": ok,
            },
        },
        "/batch": {
            "post": {
                "operationId": "executeBatch",
                "tags": ["Batch"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"type": "array", "items": {"type": "object"}}
                        }
                    },
                },
                "responses": ok,
            },
        },
    }
    return document


def test_names_default_to_the_title(write_spec: Callable[[dict[str, Any]], Path]) -> None:
    sdk = load_ir(write_spec(minimal_document())).sdk
    assert (sdk.python_package, sdk.client_class, sdk.async_client_class) == (
        "t_client",
        "Client",
        "AsyncClient",
    )
    assert (sdk.npm_package, sdk.ts_client_class) == ("t-client", "Client")
    assert (sdk.go_module, sdk.go_package) == ("github.com/t/t-go", "t")


def test_names_from_x_specway_sdk(write_spec: Callable[[dict[str, Any]], Path]) -> None:
    document = minimal_document()
    document["x-specway-sdk"] = {
        "python": {"package": "keynest", "client": "KeyNestClient"},
        "typescript": {"package": "@keynest/sdk", "client": "KeyNest"},
        "go": {"module": "github.com/keynest/keynest-go", "package": "keynest"},
        "credential": {"alias": "token", "prefix": "Token "},
    }
    sdk = load_ir(write_spec(document)).sdk
    assert (sdk.python_package, sdk.python_distribution) == ("keynest", "keynest")
    assert (sdk.client_class, sdk.async_client_class) == ("KeyNestClient", "AsyncKeyNestClient")
    assert (sdk.npm_package, sdk.ts_client_class) == ("@keynest/sdk", "KeyNest")
    assert (sdk.go_module, sdk.go_package) == ("github.com/keynest/keynest-go", "keynest")
    assert (sdk.credential_alias, sdk.credential_prefix) == ("token", "Token ")

    files = generate_python(load_ir(write_spec(document)))
    assert "keynest/__init__.py" in files
    assert "from keynest._client import KeyNestClient" in files["keynest/__init__.py"]
    client = files["keynest/_client.py"]
    assert "token: str | None = None," in client
    assert "async def __aenter__(self) -> AsyncKeyNestClient:" in client


def test_operations_move_and_rename(write_spec: Callable[[dict[str, Any]], Path]) -> None:
    document = nested_document()
    document["x-specway-sdk"] = {
        "operations": {
            "listEnvironmentVariables": {
                "resource": "environments",
                "method": "variables",
                "arguments": {"environment_id": "env_id"},
            },
            "createVariable": {"arguments": {"environment": "environment_id"}},
        }
    }
    ir = load_ir(write_spec(document))
    calls = {op.operation_id: op.sdk.python_call for op in ir.operations}
    assert calls["listEnvironmentVariables"] == "client.environments.variables"
    assert calls["createVariable"] == "client.variables.create"
    assert [(t.name, [op.operation_id for op in t.operations]) for t in ir.sdk_tags] == [
        ("Batch", ["executeBatch"]),
        ("Environments", ["createEnvironment", "listEnvironmentVariables"]),
        ("Variables", ["createVariable"]),
    ]
    client = generate_python(ir)["t_client/_client.py"]
    assert "    def variables(\n        self,\n        env_id: str,\n" in client
    assert "path_segment(env_id, 'env_id')" in client
    assert "        environment_id: str,\n" in client
    assert '"environment": environment_id,' in client


def test_unknown_operation_is_a_problem(write_spec: Callable[[dict[str, Any]], Path]) -> None:
    document = minimal_document()
    document["x-specway-sdk"] = {"operations": {"listThing": {"method": "all"}}}
    with pytest.raises(CodegenError) as caught:
        load_ir(write_spec(document))
    assert [p.pointer for p in caught.value.problems] == ["/x-specway-sdk/operations/listThing"]


def test_a_bad_name_is_a_problem(write_spec: Callable[[dict[str, Any]], Path]) -> None:
    document = minimal_document()
    document["x-specway-sdk"] = {"python": {"package": "Not-A-Package"}}
    with pytest.raises(CodegenError) as caught:
        load_ir(write_spec(document))
    assert any("x-specway-sdk" in p.pointer for p in caught.value.problems)


def test_positional_bodies(write_spec: Callable[[dict[str, Any]], Path]) -> None:
    """An array body and an object's one required field come by position; others stay
    keyword-only."""
    client = generate_python(load_ir(write_spec(nested_document())))["t_client/_client.py"]
    assert "    def execute(\n        self,\n        body: builtins.list[" in client
    assert "    def create(\n        self,\n        name: str,\n        *,\n" in client
    assert "    def create(\n        self,\n        *,\n        key: str,\n" in client
