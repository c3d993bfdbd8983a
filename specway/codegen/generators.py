"""The generator registry: name → how to render the IR and where the output is committed.

``specway codegen <name> --out DIR`` runs one; ``specway codegen`` regenerates every one into its
``default_out`` and ``specway codegen --check`` compares them with the committed files. The SDK
generators (``python`` → ``sdk/python``, ``typescript`` → ``sdk/typescript``, ``go`` →
``sdk/go``) add themselves here as one more entry each.

specway's own reference pages (``docs/extensions.md``, ``docs/configuration.md``) are not drawn
from a spec but from the framework's code: :func:`framework_docs` renders them, and they belong
only to the source tree of the running specway (:func:`is_framework_root`), never to a project.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specway.codegen.configuration_doc import render_configuration_doc
from specway.codegen.docs import generate_docs
from specway.codegen.extensions_doc import render_extensions_doc
from specway.codegen.go_sdk import generate_go
from specway.codegen.ir import ApiIR
from specway.codegen.python_sdk import generate_python
from specway.codegen.render import fill, stale_files, write_tree
from specway.codegen.typescript import generate_typescript

Render = Callable[[ApiIR, Path | None], dict[str, str]]


@dataclass(frozen=True, slots=True)
class Generator:
    """One output: ``render(ir, user_templates)`` returns relative path → text."""

    name: str
    default_out: str
    render: Render
    help: str


GENERATORS: dict[str, Generator] = {
    "docs": Generator(
        "docs", "docs/reference", generate_docs, "API reference in Markdown plus one HTML page"
    ),
    "go": Generator(
        "go", "sdk/go", generate_go, "Go SDK: one module, standard library only, Go >= 1.19"
    ),
    "python": Generator(
        "python", "sdk/python", generate_python, "typed Python SDK (sync and async clients)"
    ),
    "typescript": Generator(
        "typescript",
        "sdk/typescript",
        generate_typescript,
        "TypeScript SDK: ESM + .d.ts, zero runtime dependencies",
    ),
}


def generate(name: str, ir: ApiIR, out: Path, templates: Path | None = None) -> list[str]:
    """Render generator ``name`` into ``out`` (replaced atomically); the files written."""
    files = GENERATORS[name].render(ir, templates)
    write_tree(files, out)
    return sorted(files)


def check(ir: ApiIR, root: Path, names: list[str] | None = None) -> list[str]:
    """Stale committed files (relative to ``root``) for each generator; empty when fresh."""
    stale: list[str] = []
    with tempfile.TemporaryDirectory(prefix="specway-codegen-") as tmp:
        for name in names or sorted(GENERATORS):
            generator = GENERATORS[name]
            fresh = Path(tmp) / name
            fill(fresh, generator.render(ir, None))
            committed = root / generator.default_out
            stale += [f"{generator.default_out}/{rel}" for rel in stale_files(fresh, committed)]
    return stale


# The repository this specway is imported from: specway/codegen/generators.py → its root.
FRAMEWORK_ROOT = Path(__file__).resolve().parents[2]


def is_framework_root(root: Path) -> bool:
    """Whether ``root`` is the source tree of the running specway (where its own docs live).

    A project's ``specway codegen`` (specway installed from a wheel) never writes or checks them.
    """
    return root.resolve() == FRAMEWORK_ROOT


def framework_docs(settings_type: type[Any]) -> dict[str, str]:
    """specway's own reference pages: path relative to its repository → text.

    ``settings_type`` is ``specway.settings.Settings``, passed in so codegen never imports the
    runtime.
    """
    return {
        "docs/configuration.md": render_configuration_doc(settings_type),
        "docs/extensions.md": render_extensions_doc(),
    }


def write_pages(pages: Mapping[str, str], root: Path) -> list[str]:
    """Write each page under ``root`` (only those that changed); the paths, sorted."""
    for rel, text in pages.items():
        target = root / rel
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
    return sorted(pages)


def stale_pages(pages: Mapping[str, str], root: Path) -> list[str]:
    """The pages whose committed file under ``root`` is missing or differs, sorted."""
    return sorted(
        rel
        for rel, text in pages.items()
        if not (root / rel).is_file() or (root / rel).read_bytes() != text.encode("utf-8")
    )
