"""The ``specway`` command line. Each command group is one module with ``register(sub)``.

Exit codes: 0 success, 1 runtime failure (e.g. database unreachable), 2 invalid input
(bad spec, bad settings, bad arguments).

Commands (``keys``, ``orgs``, ``sandbox``...) may use ``Database.session()`` and the
session-based functions of the plugins: they run once per invocation, not on the request
path, where handlers and plugins go through the stores (``docs/performance.md``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from specway.errors import ConfigError, SpecwayError
from specway.spec import SpecError

# Command group modules, each exposing register(subparsers). Plain list: order = help order.
COMMANDS: tuple[str, ...] = (
    "specway.cli.init",
    "specway.cli.serve",
    "specway.cli.mock",
    "specway.cli.spec",
    "specway.cli.db",
    "specway.cli.keys",
    "specway.cli.orgs",
    "specway.cli.sandbox",
    "specway.cli.webhooks",
    "specway.cli.codegen",
    "specway.cli.secrets",
    "specway.cli.stack",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="specway", description="Spec-first API gateway framework."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SpecError as exc:
        for problem in exc.problems:
            print(problem.render(), file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"specway: {exc}", file=sys.stderr)
        return 2
    except SpecwayError as exc:
        print(f"specway: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
