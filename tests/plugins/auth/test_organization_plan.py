"""Issue 29 item 3: callers do not choose their rate-limit tier, and a new key brings no budget.

Before, ``POST /v1/api-keys {"plan": "enterprise"}`` from a self-registered user returned a key
with the enterprise limits, and every new key counted from zero. Now the body has no ``plan``
(400), a key's tier is its organisation's plan, which only the operator sets
(``specway orgs set-plan ORG TIER``), and the reference spec's hourly quota is counted per
organisation (policy option ``key: organization``), so keys of one organisation share it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient

from specway.app import load_spec
from specway.plugins.ratelimit.plan import compile_plans
from specway.principal import Principal
from specway.settings import Settings
from tests.conftest import REFERENCE_SPEC, ROOT
from tests.plugins.auth.support import bearer, mint_key, register, token_headers

PROBE = "/v1/projects?per_page=1"


def test_a_caller_cannot_pick_a_plan(app_factory: Callable[..., TestClient]) -> None:
    client = app_factory()
    user = register(client)
    chosen = client.post(
        "/v1/api-keys",
        json={"name": "mine", "scopes": ["read"], "plan": "enterprise"},
        headers=token_headers(user["token"]),
    )
    assert chosen.status_code == 400, chosen.text
    key = mint_key(client, user["token"], ["read"])
    assert key["plan"] is None  # the default tier: the organisation has no plan yet
    limit = client.get(PROBE, headers=bearer(key["key"])).headers["X-RateLimit-Limit"]
    assert limit == "100"  # free: burst 100


def test_keys_of_one_organisation_share_the_hourly_quota() -> None:
    plan = compile_plans(load_spec(REFERENCE_SPEC))["listProjects"]
    policies = plan.default
    assert {p.name: p.key for p in policies.policies}["hourly"] == "organization"

    def keys(key_id: str, org: str) -> dict[str, str]:
        caller = Principal("api_key", key_id, org, key_id=key_id)
        checks = policies.checks("rl:", caller, "203.0.113.1", None)
        return dict(zip(policies.names, (c.key for c in checks), strict=True))

    one, other, elsewhere = keys("key_1", "org_a"), keys("key_2", "org_a"), keys("key_3", "org_b")
    assert one["hourly"] == other["hourly"] != elsewhere["hourly"]
    assert one["burst"] != other["burst"]  # bursts stay per key
    assert one["hourly"].split("}")[0] == one["burst"].split("}")[0]  # one Redis Cluster slot


def test_the_operator_sets_the_plan(
    tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    settings = settings_factory()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPECWAY_")}
    env.update(
        SPECWAY_DATABASE_URL=settings.database_url,
        SPECWAY_SECRET_KEY=str(settings.secret_key),
        SPECWAY_SPEC_PATH=str(REFERENCE_SPEC),
    )
    from specway.app import create_app

    with TestClient(create_app(REFERENCE_SPEC, settings)) as client:
        user = register(client)
        org = user["organization"]["id"]

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            argv = [sys.executable, "-m", "specway", "orgs", *args]
            return subprocess.run(
                argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
            )

        unknown = cli("set-plan", org, "platinum")
        assert unknown.returncode == 2
        assert "unknown tier 'platinum'" in unknown.stderr
        assert cli("set-plan", "org_nope", "pro").returncode == 2
        done = cli("set-plan", org, "enterprise")
        assert done.returncode == 0, done.stderr
        assert "enterprise" in cli("list").stdout
        client.app.state.services["auth"].cache.clear()  # type: ignore[attr-defined]

        key = mint_key(client, user["token"], ["read"])
        assert key["plan"] == "enterprise"
        limit = client.get(PROBE, headers=bearer(key["key"])).headers["X-RateLimit-Limit"]
        assert limit == "1000"  # enterprise: burst 1000
