"""The generator registry: name → how to render the IR and where the output is committed.

``specway codegen <name> --out DIR`` runs one; ``specway codegen`` regenerates every one into its
``default_out`` and ``specway codegen --check`` compares them with the committed files. The SDK
generators (``python`` → ``sdk/python``, ``typescript`` → ``sdk/typescript``) add themselves
here as one more entry each.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from specway.codegen.docs import generate_docs
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
