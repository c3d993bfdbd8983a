"""The SDK surface's names, shared by the docs snippets and the SDK generators."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from specway.codegen import load_ir
from specway.codegen.naming import SdkNames, sdk_methods, singular
from specway.codegen.parse import CodegenError
from tests.codegen.conftest import minimal_document


@pytest.mark.parametrize(
    ("operation_id", "tag", "python", "typescript"),
    [
        ("listProjects", "Projects", "list", "list"),
        ("getProject", "Projects", "get", "get"),
        ("createProject", "Projects", "create", "create"),
        ("deleteProject", "Projects", "delete", "delete"),
        ("rollbackDeployment", "Deployments", "rollback", "rollback"),
        ("exportEnvironment", "Environments", "export", "export"),
        ("createApiKey", "API keys", "create", "create"),
        ("revokeApiKey", "API keys", "revoke", "revoke"),
        ("getHealth", "System", "get_health", "getHealth"),
        ("listAuditLogs", "Audit logs", "list", "list"),
        ("listDeliveries", "Webhooks", "list_deliveries", "listDeliveries"),
        ("importEnvironment", "Environments", "import_", "import"),
    ],
)
def test_method_names(operation_id: str, tag: str, python: str, typescript: str) -> None:
    method = sdk_methods([(operation_id, tag)])[operation_id]
    assert (method.method, method.ts_method) == (python, typescript)


def test_resources_and_colliding_short_names() -> None:
    methods = sdk_methods(
        [
            ("listEnvironments", "Environments"),
            ("listProjectEnvironments", "Environments"),
            ("listApiKeys", "API keys"),
        ],
        paths={
            "listEnvironments": "/v1/environments",
            "listProjectEnvironments": "/v1/projects/{project_id}/environments",
            "listApiKeys": "/v1/api-keys",
        },
    )
    assert methods["listEnvironments"].python_call == "client.environments.list"
    # Both want "list": the one under a parent resource says which.
    assert methods["listProjectEnvironments"].method == "list_for_project"
    assert methods["listProjectEnvironments"].ts_method == "listForProject"
    assert methods["listApiKeys"].python_call == "client.api_keys.list"
    assert methods["listApiKeys"].ts_call == "client.apiKeys.list"
    clash = sdk_methods([("getProject", "Projects"), ("getProjects", "Projects")])
    assert {m.method for m in clash.values()} == {"get_project", "get_projects"}


@pytest.mark.parametrize(
    ("operation_id", "tag", "path", "method"),
    [
        ("registerUser", "Auth", "/v1/auth/register", "register"),
        ("loginUser", "Auth", "/v1/auth/login", "login"),
        ("getProfile", "Auth", "/v1/auth/profile", "get_profile"),
        ("rotateWebhookSecret", "Webhooks", "/v1/webhooks/{id}/rotate-secret", "rotate_secret"),
        (
            "redeliverWebhookDelivery",
            "Webhooks",
            "/v1/webhooks/{w}/deliveries/{d}/redeliver",
            "redeliver",
        ),
        ("streamProjectLogs", "Monitoring", "/v1/projects/{id}/logs/stream", "stream_logs"),
        ("getProjectConfig", "Configuration", "/v1/projects/{id}/config", "get_config"),
        ("listEnvironmentVariables", "Variables", "/v1/environments/{id}/variables", "list"),
        ("removeMember", "Organizations", "/v1/organizations/{o}/members/{u}", "remove_member"),
        ("getApiIndex", "System", "/v1", "get_api_index"),
    ],
)
def test_the_path_names_the_verb(operation_id: str, tag: str, path: str, method: str) -> None:
    named = sdk_methods([(operation_id, tag)], paths={operation_id: path})[operation_id]
    assert named.method == method


def test_a_parent_comes_back_only_where_the_short_name_collides() -> None:
    ops = [("createWebhook", "Webhooks"), ("createProjectWebhook", "Webhooks")]
    paths = {"createWebhook": "/v1/webhooks", "createProjectWebhook": "/v1/projects/{id}/webhooks"}
    methods = sdk_methods(ops, paths=paths)
    assert methods["createWebhook"].method == "create"
    assert methods["createProjectWebhook"].method == "create_for_project"
    alone = sdk_methods(ops[1:], paths=paths)
    assert alone["createProjectWebhook"].method == "create"


def test_x_specway_sdk_name_overrides() -> None:
    ops = [("createWebhook", "Webhooks"), ("createProjectWebhook", "Webhooks")]
    methods = sdk_methods(ops, overrides={"createProjectWebhook": "add_to_project"})
    assert methods["createProjectWebhook"].method == "add_to_project"
    assert methods["createProjectWebhook"].ts_method == "addToProject"
    assert methods["createWebhook"].method == "create"


def test_package_names_from_title() -> None:
    names = SdkNames.from_title("Specway Platform API")
    assert (names.python_package, names.npm_package, names.env_var) == (
        "specway_client",
        "specway-client",
        "SPECWAY_API_KEY",
    )
    assert SdkNames.from_title("KeyNest API").python_package == "keynest_client"
    assert singular("entries") == "entry"
    assert singular("addresses") == "address"


def test_x_specway_sdk_name_in_a_spec(write_spec: Callable[[dict[str, Any]], Path]) -> None:
    document = minimal_document()
    document["paths"]["/things"]["get"]["x-specway-sdk-name"] = "everything"
    ir = load_ir(write_spec(document))
    assert [op.sdk.python_call for op in ir.operations] == ["client.things.everything"]
    document["paths"]["/things"]["get"]["x-specway-sdk-name"] = "Not Snake"
    with pytest.raises(CodegenError) as caught:
        load_ir(write_spec(document))
    assert any("x-specway-sdk-name" in p.pointer for p in caught.value.problems)
