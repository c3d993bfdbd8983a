"""Every example spec lints clean and its generated reference has the seed's sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from specway.cli import main
from tests.examples.support import example_spec

SECTIONS = {
    "examplecom": ["users", "projects"],
    "hexabase": [
        "workspaces",
        "projects",
        "deployments",
        "webhooks",
        "api-keys",
        "audit-logs",
        "batch",
    ],
    "keynest": [
        "auth",
        "organizations",
        "projects",
        "environments",
        "variables",
        "audit-logs",
        "system",
    ],
    "versiontwo": ["projects", "workspaces", "deployments", "monitoring", "configuration"],
    "yourcompany": ["resources"],
}


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_spec_lints_clean(name: str) -> None:
    assert main(["spec", "lint", str(example_spec(name))]) == 0


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_docs_have_the_seed_sections(name: str, tmp_path: Path) -> None:
    assert main(["codegen", "docs", "--spec", str(example_spec(name)), "--out", str(tmp_path)]) == 0
    for section in SECTIONS[name]:
        assert (tmp_path / f"{section}.md").is_file(), section
