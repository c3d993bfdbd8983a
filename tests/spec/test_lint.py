from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from specway.spec import lint_document, load_spec_document

ROOT = Path(__file__).resolve().parents[2]
BROKEN = ROOT / "tests" / "fixtures" / "broken" / "openapi.yaml"


def test_reference_spec_is_lint_clean() -> None:
    assert lint_document(load_spec_document(ROOT / "openapi.yaml")) == []


def test_broken_spec_reports_every_problem_with_pointer() -> None:
    problems = lint_document(load_spec_document(BROKEN), str(BROKEN))
    found = {(p.pointer, p.message.split(" (")[0]) for p in problems}
    expected_pointers = {
        "/x-specway-ratelimt",  # unknown extension (typo)
        "/x-specway-errors/style",  # bad enum value
        "/x-specway-ratelimit/policies/burst",  # non-positive limit
        "/x-specway-ratelimit/policies/hourly",  # unknown key 'windw'
        "/x-specway-ratelimit/tiers/free/daily",  # unknown policy
        "/paths/~1things/get",  # no operationId / summary / tag / security
        "/paths/~1things/get/responses",  # no error responses
        "/paths/~1things/post/x-specway-idempotency",  # wrong type
        "/paths/~1things/post/requestBody/content/application~1json",  # no example
        "/paths/~1things/post/responses/400",  # not the shared error schema
    }
    assert expected_pointers <= {pointer for pointer, _ in found}
    assert all(p.file == str(BROKEN) and p.fix for p in problems)
    typo = next(p for p in problems if p.pointer == "/x-specway-ratelimt")
    assert "x-specway-ratelimit" in typo.fix
    windw = next(
        p
        for p in problems
        if p.pointer == "/x-specway-ratelimit/policies/hourly" and "windw" in p.message
    )
    assert "window" in windw.fix
    get_messages = {m for ptr, m in found if ptr == "/paths/~1things/get"}
    assert {
        "operation has no operationId",
        "operation has no summary",
        "operation has no tag",
        "operation declares no security",
    } <= get_messages


def test_cli_lint_exit_codes() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "specway", "spec", "lint", str(ROOT / "openapi.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "specway", "spec", "lint", str(BROKEN)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    lines = [line for line in bad.stderr.splitlines() if "#/" in line]
    assert len(lines) >= 10
    assert all(line.startswith(str(BROKEN) + "#/") for line in lines)
