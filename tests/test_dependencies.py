"""The package's declared dependencies: complete, and pinned by the lock file.

``pip install .`` must work with nothing else, so every third-party module the ``specway``
package imports belongs to a distribution ``pyproject.toml`` declares; and
``requirements/lock.txt`` (what every install of this repo uses) must satisfy those ranges.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "specway"


def declared() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    requirements = [Requirement(r) for r in project["dependencies"]]
    return {canonicalize_name(r.name): r for r in requirements}


def locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(Requirement(name).name)] = version.strip()
    return pins


def dev_extra() -> dict[str, Requirement]:
    """The ``dev`` extra: what the repository's own projects (``handlers/``, ``examples/``)
    and tools need beside the package."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    requirements = [Requirement(r) for r in project["optional-dependencies"]["dev"]]
    return {canonicalize_name(r.name): r for r in requirements}


def imported_top_level_modules(*folders: Path) -> set[str]:
    """Top-level names of every absolute import in the modules under ``folders`` (default:
    the package)."""
    names: set[str] = set()
    for path in (p for folder in folders or (PACKAGE,) for p in folder.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_every_lock_pin_satisfies_the_declared_range() -> None:
    pins = locked()
    for name, requirement in declared().items():
        assert name in pins, f"{name} is a dependency but not pinned in requirements/lock.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements/lock.txt pins {name}=={pins[name]}, outside {requirement}"
        )


def test_every_third_party_import_is_a_declared_dependency() -> None:
    wanted = declared()
    distributions = packages_distributions()
    third_party = {
        name
        for name in imported_top_level_modules()
        if name not in sys.stdlib_module_names and name not in {"specway", "__future__"}
    }
    missing: list[str] = []
    for module in sorted(third_party):
        owners = {canonicalize_name(d) for d in distributions.get(module, [])}
        if not owners:
            missing.append(f"{module} (no installed distribution provides it)")
        elif not owners & set(wanted):
            missing.append(f"{module} (from {', '.join(sorted(owners))})")
    assert not missing, "imported by specway but not in pyproject's dependencies: " + "; ".join(
        missing
    )


def test_the_repository_projects_imports_are_declared_and_pinned() -> None:
    """``handlers/`` and ``examples/`` may import what the package declares or the ``dev`` extra
    adds (e.g. graphql-core for examples/hexabase's GraphQL endpoint), pinned in the lock."""
    wanted = {**declared(), **dev_extra()}
    pins = locked()
    distributions = packages_distributions()
    local = {"specway", "handlers", "examples", "tests", "__future__"}
    missing: list[str] = []
    for module in sorted(imported_top_level_modules(ROOT / "handlers", ROOT / "examples")):
        if module in sys.stdlib_module_names or module in local:
            continue
        owners = {canonicalize_name(d) for d in distributions.get(module, [])} & set(wanted)
        if not owners:
            missing.append(module)
        for owner in owners:
            assert owner in pins, f"{owner} is not pinned in requirements/lock.txt"
            assert wanted[owner].specifier.contains(pins[owner], prereleases=True), (
                f"requirements/lock.txt pins {owner}=={pins[owner]}, outside {wanted[owner]}"
            )
    assert not missing, "imported by handlers/ or examples/ but not declared: " + ", ".join(missing)
