"""Reading ``x-specway-ratelimit`` and compiling per-operation plans; startup errors."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rl_support import SCENARIOS

from specway.plugins.ratelimit.algorithms import GCRA, SLIDING_WINDOW
from specway.plugins.ratelimit.plan import compile_plans
from specway.principal import Principal
from specway.spec import Level, build_model, lint_document, load_model, load_spec_document

BASE: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "x-specway-plugins": ["ratelimit"],
    "x-specway-ratelimit": {"policies": {"burst": {"limit": 10, "window": 60}}},
    "paths": {
        "/a": {
            "get": {
                "operationId": "getA",
                "summary": "a",
                "tags": ["A"],
                "security": [],
                "responses": {
                    "200": {"description": "ok"},
                    "429": {"$ref": "#/components/responses/Error"},
                },
            }
        }
    },
    "components": {
        "responses": {
            "Error": {
                "description": "e",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        },
        "schemas": {"Error": {"type": "object"}},
    },
}


def document(ratelimit: dict[str, Any] | None = None, **op_ext: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    if ratelimit is not None:
        doc["x-specway-ratelimit"] = ratelimit
    doc["paths"]["/a"]["get"].update(op_ext)
    return doc


def principal(tier: str | None, key_id: str = "key_1") -> Principal:
    return Principal(kind="api_key", id=key_id, organization_id="org_1", key_id=key_id, tier=tier)


def test_scenario_plans_per_audience() -> None:
    plans = compile_plans(load_model(SCENARIOS))
    assert "getFree" not in plans  # exempt
    items = plans["listItems"]
    assert items.policy_set(None).names == ("burst", "hourly")
    assert [p.limit for p in items.policy_set(principal("pro")).policies] == [40, 100]
    assert [p.limit for p in items.policy_set(principal("free")).policies] == [20, 30]
    # Unknown and missing tiers get the default tier.
    assert items.policy_set(principal("platinum")) is items.default
    assert items.policy_set(principal(None)) is items.default
    assert items.default.names == ("burst", "hourly")
    assert items.default.policy_header == b'"burst";q=20;w=3600, "hourly";q=30;w=3600'
    assert [p.algorithm for p in items.default.policies] == [GCRA, SLIDING_WINDOW]
    assert plans["getQuota"].default.policies[2].algorithm == SLIDING_WINDOW
    login = plans["login"].policy_set(None)
    assert login.names == ("burst", "hourly", "login")
    assert login.needs_email
    assert plans["runBatch"].cost.needs_body
    assert plans["getStrict"].failure == "closed"
    assert plans["listItems"].failure == "open"


def test_keys_share_one_hash_tag_per_request() -> None:
    login = compile_plans(load_model(SCENARIOS))["login"]
    anonymous = login.policy_set(None).checks("p:", None, "10.0.0.1", "A@Example.com ")
    assert [c.key.split("}")[0] for c in anonymous] == ["p:{ip:10.0.0.1"] * 3
    assert anonymous[0].key == "p:{ip:10.0.0.1}:burst"
    assert anonymous[2].key.startswith("p:{ip:10.0.0.1}:login:e:")
    same = login.policy_set(None).checks("p:", None, "10.0.0.1", "a@example.com")
    assert same[2].key == anonymous[2].key  # emails compare normalised
    assert "example" not in anonymous[2].key  # stored only as a hash
    keyed = login.policy_set(principal("pro")).checks("p:", principal("pro"), "10.0.0.1", None)
    assert keyed[0].key == "p:{k:key_1}:burst"
    assert keyed[2].key.startswith("p:{k:key_1}:login:ip:10.0.0.1:e:")
    assert keyed[0].window_ms == 3_600_000


def test_no_tiers_means_every_policy_for_everyone() -> None:
    model, problems = build_model(
        document(
            {
                "policies": {
                    "burst": {"limit": 5, "window": 60},
                    "day": {"limit": 9, "window": 86400},
                }
            }
        )
    )
    assert problems == []
    assert list(model.ratelimit.tiers) == ["default"]
    plan = compile_plans(model)["getA"]
    assert plan.default.names == ("burst", "day")
    assert plan.anonymous.names == ("burst", "day")
    assert all(p.key == "ip" for p in plan.anonymous.policies)


def test_empty_anonymous_leaves_anonymous_callers_unlimited() -> None:
    model, problems = build_model(
        document({"policies": {"burst": {"limit": 5, "window": 60}}, "anonymous": {}})
    )
    assert problems == []
    plan = compile_plans(model)["getA"]
    assert plan.anonymous.policies == ()
    assert plan.default.names == ("burst",)


def test_operation_policy_overrides_a_tier_policy_of_the_same_name() -> None:
    model, _ = build_model(
        document(
            {"policies": {"burst": {"limit": 5, "window": 60}}},
            **{"x-specway-ratelimit": {"policies": ["burst"], "cost": 2}},
        )
    )
    plan = compile_plans(model)["getA"]
    assert plan.default.names == ("burst",)
    assert plan.cost.fixed == 2


@pytest.mark.parametrize(
    ("ratelimit", "op_ext", "pointer", "fragment"),
    [
        (
            {"policies": {"burst": {"limit": 0, "window": 60}}},
            {},
            "/x-specway-ratelimit/policies/burst",
            "positive",
        ),
        (
            {"policies": {"burst": {"limit": 10, "window": -5}}},
            {},
            "/x-specway-ratelimit/policies/burst",
            "positive",
        ),
        (
            None,
            {"x-specway-ratelimit": {"policies": ["brust"]}},
            "/paths/~1a/get/x-specway-ratelimit/policies/brust",
            "unknown rate-limit policy",
        ),
        (
            {"policies": {"burst": {"limit": 10, "window": 60}}, "tiers": {"pro": {"burst": 0}}},
            {},
            "/x-specway-ratelimit/tiers/pro/burst",
            "positive integer",
        ),
        (
            {"policies": {"burst": {"limit": 10, "window": 60}}, "tiers": {"pro": ["daily"]}},
            {},
            "/x-specway-ratelimit/tiers/pro/daily",
            "unknown rate-limit policy",
        ),
        (
            None,
            {"x-specway-ratelimit": {"tiers": {"pro": ["burst"]}}},
            "/paths/~1a/get/x-specway-ratelimit/tiers",
            "only read at document level",
        ),
        (
            None,
            {"x-specway-ratelimit": {"policies": {"x": {"limit": 1, "window": 1}}}},
            "/paths/~1a/get/x-specway-ratelimit/policies",
            "cannot define them",
        ),
        (
            None,
            {"x-specway-ratelimit": {"cost": "len(body.items)"}},
            "/paths/~1a/get/x-specway-ratelimit/cost",
            "",
        ),
        (
            {"policies": {"burst": {"limit": 10, "window": 60}}, "default_tier": "gold"},
            {},
            "/x-specway-ratelimit/default_tier",
            "unknown tier",
        ),
        (
            {"policies": {"burst": {"limit": 10, "window": 60}}, "reset": "epoch"},
            {},
            "/x-specway-ratelimit/reset",
            "is not one of",
        ),
        (
            None,
            {"x-specway-ratelimit": {"reset": "unix"}},
            "/paths/~1a/get/x-specway-ratelimit/reset",
            "only read at document level",
        ),
    ],
)
def test_bad_configuration_is_an_error_with_its_pointer(
    ratelimit: dict[str, Any] | None, op_ext: dict[str, Any], pointer: str, fragment: str
) -> None:
    _, problems = build_model(document(ratelimit, **op_ext), "api.yaml")
    errors = [p for p in problems if p.level == Level.ERROR]
    assert any(p.pointer == pointer and fragment in p.message for p in errors), errors
    assert all(p.file == "api.yaml" and p.fix for p in errors)


def test_lint_warns_when_a_limited_operation_does_not_document_429() -> None:
    doc = document()
    del doc["paths"]["/a"]["get"]["responses"]["429"]
    doc["paths"]["/a"]["get"]["responses"]["400"] = {"$ref": "#/components/responses/Error"}
    problems = lint_document(doc)
    warning = next(p for p in problems if "429" in p.message)
    assert warning.level == Level.WARNING
    assert warning.pointer == "/paths/~1a/get/responses"
    exempt = document(**{"x-specway-ratelimit": {"exempt": True}})
    del exempt["paths"]["/a"]["get"]["responses"]["429"]
    exempt["paths"]["/a"]["get"]["responses"]["400"] = {"$ref": "#/components/responses/Error"}
    assert not [p for p in lint_document(exempt) if "429" in p.message]


def test_lint_warns_when_a_fail_closed_operation_does_not_document_503() -> None:
    problems = lint_document(document(**{"x-specway-ratelimit": {"failure": "closed"}}))
    assert [p.level for p in problems if "503" in p.message] == [Level.WARNING]


def test_reference_spec_limits() -> None:
    model = load_model(SCENARIOS.parents[2].parent / "openapi.yaml")
    config = model.ratelimit
    assert {n: (p.limit, p.window) for n, p in config.policies.items()} == {
        "burst": (100, 60),
        "hourly": (1000, 3600),
        "login": (10, 60),
        "register": (10, 60),
    }
    assert config.policies["login"].key == "ip+email"
    assert config.policies["register"].key == "ip"
    assert [(p.name, p.limit) for p in config.for_tier("pro")] == [
        ("burst", 300),
        ("hourly", 10000),
    ]
    assert [(p.name, p.limit, p.key) for p in config.anonymous] == [
        ("burst", 50, "ip"),
        ("hourly", 100, "ip"),
    ]
    plans = compile_plans(model)
    assert "getHealth" not in plans
    assert "getProject" in plans
    assert lint_document(load_spec_document(SCENARIOS)) == []
