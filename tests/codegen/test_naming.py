"""The SDK surface's names, shared by the docs snippets and the SDK generators."""

from __future__ import annotations

import pytest

from specway.codegen.naming import SdkNames, sdk_methods, singular


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
        ]
    )
    assert methods["listEnvironments"].python_call == "client.environments.list"
    # "list" and "list_project" don't collide; the full names are only used when they do.
    assert methods["listProjectEnvironments"].method == "list_project"
    assert methods["listApiKeys"].python_call == "client.api_keys.list"
    assert methods["listApiKeys"].ts_call == "client.apiKeys.list"
    clash = sdk_methods([("getProject", "Projects"), ("getProjects", "Projects")])
    assert {m.method for m in clash.values()} == {"get_project", "get_projects"}


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
