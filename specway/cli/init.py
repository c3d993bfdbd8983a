"""``specway init DIR [--name NAME] [--force]``: scaffold a project that serves and tests at once.

The project: ``openapi.yaml`` (one resource, notes, with list/get/create; an API-key scheme
with ``read``/``write`` scopes; a rate limit; a ``note.created`` webhook event; errors and
pagination configured), ``handlers/``, its own Alembic migration, ``tests/`` (in process and
schemathesis), a README with its two commands, and a ``.gitignore``. See
:mod:`specway.scaffold`.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from specway.scaffold import render_project


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("init", help="create a new project (spec, handlers, tests) in DIR")
    parser.add_argument("dir", metavar="DIR", help="folder to create (must be empty)")
    parser.add_argument("--name", default=None, help="the API's name (default: DIR's name)")
    parser.add_argument(
        "--force", action="store_true", help="write into a non-empty DIR, overwriting"
    )
    parser.set_defaults(func=init)


def init(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    name = args.name or folder.resolve().name
    written = render_project(folder, name, force=args.force)
    for path in written:
        print(f"  created {path}")
    print(
        f"\nNext:\n  cd {shlex.quote(str(folder))}\n"
        "  specway serve        # http://127.0.0.1:8000/docs\n"
        "  python -m pytest     # needs specway[test]"
    )
    return 0
