"""``specway spec validate|lint|bundle FILE``."""

from __future__ import annotations

import argparse
import json
import sys

import yaml

from specway.spec import lint_document, load_spec_document, validate_document


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("spec", help="validate, lint or bundle an OpenAPI document")
    cmds = parser.add_subparsers(dest="spec_command", required=True)
    for name, func, text in (
        ("validate", validate, "check against the OpenAPI 3.0 schema"),
        ("lint", lint, "validate plus specway's rules; every problem with its pointer"),
        ("bundle", bundle, "resolve file $refs into one document on stdout"),
    ):
        p = cmds.add_parser(name, help=text)
        p.add_argument("file", nargs="?", default="openapi.yaml")
        if name == "bundle":
            p.add_argument("--format", choices=("yaml", "json"), default="yaml")
        p.set_defaults(func=func)


def _report(problems: list[object], file: str) -> int:
    for problem in problems:
        print(problem.render(), file=sys.stderr)  # type: ignore[attr-defined]
    if problems:
        print(f"{file}: {len(problems)} problem(s)", file=sys.stderr)
        return 2
    print(f"{file}: ok")
    return 0


def validate(args: argparse.Namespace) -> int:
    document = load_spec_document(args.file)
    return _report(list(validate_document(document, args.file)), args.file)


def lint(args: argparse.Namespace) -> int:
    document = load_spec_document(args.file)
    return _report(list(lint_document(document, args.file)), args.file)


def bundle(args: argparse.Namespace) -> int:
    document = load_spec_document(args.file)
    if args.format == "json":
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), end="")
    return 0
