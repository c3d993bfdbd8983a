"""``specway codegen [--check]`` and ``specway codegen <generator> --out DIR``.

Without a generator, regenerates every committed output (``docs/reference``,
``sdk/typescript``, …) under ``--root``; with ``--check`` it writes nothing and exits 1
listing each stale file. Spec problems are reported all at once, with their JSON pointers (exit 2).
When ``--root`` is specway's own source tree, its framework docs (``docs/extensions.md``,
``docs/configuration.md``) are regenerated and checked too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from specway.cli.spec_option import add_spec_argument, spec_path
from specway.codegen import load_ir
from specway.codegen.generators import (
    GENERATORS,
    check,
    framework_docs,
    generate,
    is_framework_root,
    stale_pages,
    write_pages,
)
from specway.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "codegen",
        help="generate API reference docs (and SDKs) from the spec",
        description="Without a generator: regenerate every committed output.",
    )
    add_spec_argument(parser)
    parser.add_argument("--root", default=".", help="repository root the outputs live under")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 listing stale files"
    )
    parser.set_defaults(func=regenerate_all)
    generators = parser.add_subparsers(dest="generator")
    for generator in GENERATORS.values():
        p = generators.add_parser(generator.name, help=generator.help)
        p.add_argument("--out", default=None, help=f"output directory ({generator.default_out})")
        add_spec_argument(p, subcommand=True)
        p.add_argument("--templates", default=None, help="directory overriding templates")
        p.set_defaults(func=run_one, generator=generator.name)


def run_one(args: argparse.Namespace) -> int:
    generator = GENERATORS[args.generator]
    out = Path(args.out or generator.default_out)
    ir = load_ir(spec_path(args))
    files = generate(generator.name, ir, out, Path(args.templates) if args.templates else None)
    print(f"{generator.name}: wrote {len(files)} files to {out}")
    return 0


def regenerate_all(args: argparse.Namespace) -> int:
    root = Path(args.root)
    ir = load_ir(spec_path(args))
    pages = framework_docs(Settings) if is_framework_root(root) else {}
    if args.check:
        stale = check(ir, root) + stale_pages(pages, root)
        for rel in stale:
            print(f"stale: {rel}", file=sys.stderr)
        if stale:
            print(
                f"{len(stale)} generated file(s) out of date; run `specway codegen`",
                file=sys.stderr,
            )
            return 1
        print("generated files are up to date")
        return 0
    for name in sorted(GENERATORS):
        generator = GENERATORS[name]
        files = generate(name, ir, root / generator.default_out)
        print(f"{name}: wrote {len(files)} files to {root / generator.default_out}")
    for rel in write_pages(pages, root):
        print(f"framework docs: wrote {root / rel}")
    return 0
