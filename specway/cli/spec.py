"""``specway spec validate|lint|bundle [FILE]`` (FILE: the ``--spec`` rule of every command)."""

from __future__ import annotations

import argparse
import json
import sys

import yaml

from specway.cli.spec_option import add_spec_argument, spec_path
from specway.spec import lint_document, load_spec_document, validate_document
from specway.spec.dialect import describe_version


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("spec", help="validate, lint or bundle an OpenAPI document")
    cmds = parser.add_subparsers(dest="spec_command", required=True)
    for name, func, text in (
        ("validate", validate, "check against the OpenAPI 3.0 or 3.1 schema"),
        ("lint", lint, "validate plus specway's rules; every problem with its pointer"),
        ("bundle", bundle, "resolve file $refs into one document on stdout"),
    ):
        p = cmds.add_parser(name, help=text)
        add_spec_argument(p, positional=True)
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
    file = str(spec_path(args))
    document = load_spec_document(file)
    return _report(list(validate_document(document, file)), file)


def lint(args: argparse.Namespace) -> int:
    file = str(spec_path(args))
    document = load_spec_document(file)
    print(f"{file}: read as {describe_version(document)}", file=sys.stderr)
    return _report(list(lint_document(document, file)), file)


def bundle(args: argparse.Namespace) -> int:
    document = load_spec_document(spec_path(args))
    if args.format == "json":
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), end="")
    return 0
