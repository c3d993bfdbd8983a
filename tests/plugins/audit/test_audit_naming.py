"""Action names and audit plans derived from the spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from specway.app import load_spec
from specway.plugins.audit.plan import build_plans, derive_action

ROOT = Path(__file__).resolve().parents[3]
REFERENCE_SPEC = ROOT / "openapi.yaml"
SCENARIO_SPEC = ROOT / "tests" / "fixtures" / "audit" / "openapi.yaml"


@pytest.mark.parametrize(
    ("operation_id", "action"),
    [
        ("createProject", "project.created"),
        ("deleteProject", "project.deleted"),
        ("updateProject", "project.updated"),
        ("revokeApiKey", "api_key.revoked"),
        ("createAPIKey", "api_key.created"),
        ("createApiKey", "api_key.created"),
        ("registerUser", "user.registered"),
        ("removeMember", "member.removed"),
        ("rotateWebhookSecret", "webhook_secret.rotated"),
        ("redeliverWebhookDelivery", "webhook_delivery.redelivered"),
        ("copyEnvironment", "environment.copied"),
        ("importVariables", "variable.imported"),
        ("setVariable", "variable.set"),
        ("resetPassword", "password.reset"),
        ("addMember", "member.added"),
        ("batchCreateProjects", "project.batch_created"),
        ("login", "auth.login"),
        ("logout", "auth.logout"),
        ("listAuditLogs", "audit_log.listed"),
    ],
)
def test_derived_action(operation_id: str, action: str) -> None:
    assert derive_action(operation_id) == action


def test_plans_of_the_reference_and_scenario_specs() -> None:
    reference = build_plans(load_spec(REFERENCE_SPEC))
    mutating = {
        op.operation_id for op in load_spec(REFERENCE_SPEC).operations.values() if op.mutating
    }
    assert set(reference) == mutating
    assert {"createProject", "updateProject", "deleteProject"} <= set(reference)
    # A variable's value is never kept, only the body's field names.
    assert reference["createVariable"].body_fields_only
    assert reference["updateVariable"].body_fields_only
    assert reference["importEnvironment"].action == "variable.imported"
    assert reference["importEnvironment"].parent_params == ("environment_id",)
    assert {"createDeployment", "rollbackDeployment", "updateProjectConfig", "executeBatch"} <= set(
        reference
    )
    assert {"registerUser", "loginUser", "logoutUser", "createOrganization", "addMember"} <= set(
        reference
    )
    assert reference["loginUser"].action == "auth.login"
    assert reference["createProject"].id_from_response
    assert reference["updateProject"].target_param == "project_id"
    assert not reference["createProject"].body_fields_only
    # Named in the spec: the derived names would be user.registered, user.logged_in...
    assert {op: reference[op].action for op in ("registerUser", "loginUser", "logoutUser")} == {
        "registerUser": "auth.register",
        "loginUser": "auth.login",
        "logoutUser": "auth.logout",
    }
    # Passwords: only the field names of these bodies are kept.
    assert reference["registerUser"].body_fields_only
    assert reference["loginUser"].body_fields_only
    assert reference["createApiKey"].action == "api_key.created"
    assert reference["createApiKey"].id_from_response
    assert reference["revokeApiKey"].target_param == "key_id"
    assert reference["removeMember"].target_param == "user_id"
    assert reference["removeMember"].parent_params == ("org_id",)
    assert reference["addMember"].action == "member.added"
    assert reference["addMember"].parent_params == ("org_id",)
    assert reference["updateOrganization"].target_param == "org_id"
    scenario = build_plans(load_spec(SCENARIO_SPEC))
    assert "updateThing" not in scenario  # x-specway-audit: false
    assert "listThings" not in scenario  # reads are not audited unless they name an action
    assert scenario["createThing"].action == "thing.made"
    assert scenario["setVariable"].body_fields_only
    assert scenario["createWebhook"].body_fields_only  # nested signing.secret
    assert scenario["login"].body_fields_only
    assert scenario["revokeApiKey"].target_param == "key_id"
