"""Action names and audit plans derived from the spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from specway.app import load_spec
from specway.errors import ConfigError
from specway.plugins.audit.plan import build_plans, derive_action
from specway.spec.model import build_model

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
    # Every mutating operation but the one the spec opts out (x-specway-audit: false: the
    # resource samples a runtime pushes every few seconds).
    assert set(reference) == mutating - {"recordResourceSamples"}
    assert "recordResourceSamples" in mutating
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


def _scenario_with(audit: object) -> Any:
    document = yaml.safe_load(SCENARIO_SPEC.read_text())
    document["x-specway-audit"] = audit
    model, problems = build_model(document, str(SCENARIO_SPEC))
    assert [p.render() for p in problems if p.level == "error"] == []
    return model


def test_snake_actions_keep_the_resource_as_target_type() -> None:
    plans = build_plans(_scenario_with({"actions": "snake"}))
    assert (plans["createThing"].action, plans["createThing"].target_type) == (
        "thing_made",
        "thing",
    )
    assert (plans["revokeApiKey"].action, plans["revokeApiKey"].target_type) == (
        "api_key_revoked",
        "api_key",
    )
    assert "listThings" not in plans


def test_reads_all_or_sampled() -> None:
    every = build_plans(_scenario_with({"reads": "all"}))
    assert every["listThings"].sample_rate == 1.0
    assert "updateThing" not in every  # x-specway-audit: false still wins
    sampled = build_plans(_scenario_with({"reads": "sampled", "sample_rate": 0.25}))
    assert sampled["listThings"].sample_rate == 0.25
    assert sampled["createThing"].sample_rate == 1.0  # writes are always logged


def test_an_object_on_an_operation_is_a_startup_error() -> None:
    document = yaml.safe_load(SCENARIO_SPEC.read_text())
    for item in document["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == "createThing":
                op["x-specway-audit"] = {"reads": "all"}
    model, _ = build_model(document, str(SCENARIO_SPEC))
    with pytest.raises(ConfigError, match="x-specway-audit"):
        build_plans(model)
