"""The command-line tool generated with the Python SDK: ``<package>/_cli.py`` (argparse).

Every client method is a ``<resource> <method>`` command (``keynest-client projects list``);
``x-specway-sdk.cli`` names the console script and adds commands of its own words
(``"keys generate": createApiKey``), which replace a generic command of the same words. The
generated module calls the SDK's ``Client``: no second HTTP layer. Options come from the
method's arguments: path parameters are positional or ``--<name>`` options, arrays of scalars
repeat their option (``--permissions read --permissions write``; the singular spelling is
accepted too), objects and the like are JSON text, and a multipart file part (``format:
binary``) takes a path whose bytes are uploaded (``keynest env import --file .env``).

The generated module is data plus one runtime: ``COMMANDS``, a table of ``Command(words,
call, help, options=(Option(flag, dest, kind, ...), ...))`` laid out as ``ruff format`` keeps
it (:mod:`specway.codegen.python_layout`), and the functions that build the argparse tree
from the table and call ``client.<resource>.<method>`` by its attribute path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2

from specway.codegen.ir import ApiIR, Operation, Schema
from specway.codegen.parse import CodegenError
from specway.codegen.python_layout import Node, Source, layout, literal, tuple_of
from specway.codegen.render import render
from specway.spec import Problem
from specway.spec.problems import pointer

if TYPE_CHECKING:
    from specway.codegen.python_sdk import ArgPlan, MethodPlan, PythonSdkPlanner, ResourcePlan

# The options every command has, and the built-in ``config`` commands.
OWN_OPTIONS = frozenset({"help", "token", "base-url", "output"})
CONFIG_COMMANDS = (("config", "set-token"), ("config", "set-base-url"))
_SCALAR_KINDS = {"integer": "int", "number": "float", "boolean": "bool"}


@dataclass(frozen=True, slots=True)
class CliOption:
    """One option of a command: ``dest`` is the SDK argument, ``flags`` how it is spelled."""

    dest: str
    flags: tuple[str, ...]
    kind: str  # str | int | float | bool | json | datetime | date | upload
    repeated: bool
    required: bool
    path: bool
    choices: tuple[Any, ...]
    help: str

    @property
    def metavar(self) -> str:
        return self.flags[0].removeprefix("--").replace("-", "_").upper()


@dataclass(frozen=True, slots=True)
class CliCommand:
    """One leaf command: its words, the client call and how its result prints."""

    words: tuple[str, ...]
    call: str  # the client's attribute path: ``api_keys.create``
    options: tuple[CliOption, ...]
    defaults: dict[str, Any]  # SDK argument → value when the option is not passed
    output: str  # json | text | none | page
    help: str


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _resolve(ir: ApiIR, schema: Schema) -> Schema:
    while schema.kind == "ref" and schema.ref:
        schema = ir.schema(schema.ref).schema
    return schema


def _kind(ir: ApiIR, schema: Schema) -> tuple[str, bool, tuple[Any, ...]]:
    """``(kind, repeated, choices)`` of an option taking ``schema``'s values."""
    schema = _resolve(ir, schema)
    if schema.kind == "array" and schema.items is not None:
        item, nested, choices = _kind(ir, schema.items)
        if not nested and item not in ("json", "upload"):
            return item, True, choices
        return "json", False, ()
    choices = tuple(schema.enum or ())
    if schema.kind == "string":
        formats = {"date-time": "datetime", "date": "date", "binary": "upload"}
        return formats.get(schema.format or "", "str"), False, choices
    if schema.kind in _SCALAR_KINDS:
        return _SCALAR_KINDS[schema.kind], False, choices
    return "json", False, ()


def _schemas(op: Operation, planner: PythonSdkPlanner) -> dict[tuple[str, str], Schema]:
    """(location, wire name) → schema of every parameter and body field of ``op``."""
    found: dict[tuple[str, str], Schema] = {(p.location, p.name): p.schema for p in op.parameters}
    if op.body is not None:
        props = planner.types.object_properties(op.body.schema) or ()
        location = "file" if op.body.content_type.startswith("multipart/") else "json"
        found.update({(location, prop.name): prop.schema for prop in props})
        found[("body", "body")] = op.body.schema
    return found


class CliPlanner:
    """The commands and groups of the CLI of one API; problems are collected."""

    def __init__(
        self, ir: ApiIR, planner: PythonSdkPlanner, resources: tuple[ResourcePlan, ...]
    ) -> None:
        self.ir = ir
        self.planner = planner
        self.resources = resources
        self.problems: list[Problem] = []
        self.operations = {op.operation_id: op for op in ir.operations}

    def commands(self) -> tuple[CliCommand, ...]:
        by_method = {(op.sdk.resource, op.sdk.method): op for op in self.operations.values()}
        methods: dict[str, tuple[str, MethodPlan]] = {}
        for plan in self.resources:
            for method in plan.methods:
                op = by_method[(plan.attribute, method.name)]
                methods[op.operation_id] = (plan.attribute, method)
        chosen: dict[tuple[str, ...], tuple[str, str]] = {}
        for op_id, (attribute, method) in methods.items():
            generic = (attribute.replace("_", "-"), method.name.replace("_", "-"))
            chosen[generic] = (op_id, "{}")
        for text, op_id, defaults in self.ir.sdk.cli_commands:
            if op_id not in methods:
                self.problems.append(
                    Problem(
                        pointer("x-specway-sdk", "cli", "commands", text),
                        f"no operation of the Python SDK has the operationId {op_id!r}",
                        "name an operation of this document",
                    )
                )
                continue
            chosen[tuple(text.split())] = (op_id, defaults)
        result = []
        for words, (op_id, defaults) in sorted(chosen.items()):
            attribute, method = methods[op_id]
            op = self.operations[op_id]
            result.append(self.command(words, op, attribute, method, defaults))
        self._check_tree([c.words for c in result])
        return tuple(result)

    def command(
        self,
        words: tuple[str, ...],
        op: Operation,
        resource: str,
        method: MethodPlan,
        defaults_json: str,
    ) -> CliCommand:
        schemas = _schemas(op, self.planner)
        options = [self.option(op, arg, schemas) for arg in method.args]
        by_wire = {arg.wire_name: option for arg, option in zip(method.args, options, strict=True)}
        defaults: dict[str, Any] = {}
        for wire, value in json.loads(defaults_json).items():
            option = by_wire.get(wire)
            if option is None:
                self.problems.append(
                    Problem(
                        pointer("x-specway-sdk", "cli", "commands", " ".join(words)),
                        f"{op.operation_id} has no parameter or body field {wire!r}",
                        f"use one of {', '.join(sorted(by_wire)) or '(none)'}",
                    )
                )
                continue
            defaults[option.dest] = value
        used = {_flag(n) for n in OWN_OPTIONS} | {o.flags[0] for o in options}
        options = [
            CliOption(
                o.dest,
                o.flags[:1] + tuple(f for f in o.flags[1:] if f not in used),
                o.kind,
                o.repeated,
                o.required and o.dest not in defaults,
                o.path,
                o.choices,
                o.help,
            )
            for o in options
        ]
        output = "page" if method.page else method.response
        summary = method.summary or op.operation_id
        call = f"{resource}.{method.name}"
        return CliCommand(words, call, tuple(options), defaults, output, summary)

    def option(
        self, op: Operation, arg: ArgPlan, schemas: dict[tuple[str, str], Schema]
    ) -> CliOption:
        schema = schemas.get((arg.location, arg.wire_name))
        kind, repeated, choices = ("json", False, ()) if schema is None else _kind(self.ir, schema)
        name = arg.python_name.replace("_", "-")
        if name in OWN_OPTIONS:
            name = f"{arg.location}-{name}"
        if arg.location == "body":  # a body that is not an object: ``--body JSON``
            kind, repeated, choices = "json", False, ()
        flags = [_flag(name)]
        if repeated and name.endswith("s") and not name.endswith("ss"):
            flags.append(_flag(name[:-1]))
        return CliOption(
            dest=arg.python_name,
            flags=tuple(flags),
            kind=kind,
            repeated=repeated,
            required=arg.required,
            path=arg.location == "path",
            choices=choices if kind in ("str", "int", "float") else (),
            help=arg.description,
        )

    def _check_tree(self, leaves: list[tuple[str, ...]]) -> None:
        """A command's words are never also the start of another command's."""
        every = [*leaves, *CONFIG_COMMANDS]
        full = set(every)
        for words in every:
            for end in range(1, len(words)):
                if words[:end] in full:
                    self.problems.append(
                        Problem(
                            pointer("x-specway-sdk", "cli", "commands", " ".join(words[:end])),
                            f"command {' '.join(words[:end])!r} is also the start of "
                            f"{' '.join(words)!r}",
                            "rename one of them in x-specway-sdk.cli.commands",
                        )
                    )
        if len(full) != len(every):
            self.problems.append(
                Problem(
                    pointer("x-specway-sdk", "cli", "commands"),
                    "a command has the words of the built-in `config set-token` or "
                    "`config set-base-url`",
                    "rename it",
                )
            )


def group_help(commands: tuple[CliCommand, ...], ir: ApiIR) -> dict[str, str]:
    """The help of each group of words above a command (a resource's: its tag's name)."""
    tags = {tag.operations[0].sdk.resource.replace("_", "-"): tag.name for tag in ir.sdk_tags}
    found = {"config": "Store the token and base URL"}
    for command in commands:
        if len(command.words) > 1 and command.words[0] in tags:
            found.setdefault(command.words[0], tags[command.words[0]])
    return dict(sorted(found.items()))


def option_source(option: CliOption) -> Node:
    """``Option("--name", "name", "str", required=True, help="...")``."""
    items: list[tuple[str, Source]] = [
        ("", literal(option.flags[0])),
        ("", literal(option.dest)),
        ("", literal(option.kind)),
    ]
    if option.required and not option.path:
        items.append(("required=", "True"))
    if option.repeated:
        items.append(("repeated=", "True"))
    if option.path:
        items.append(("path=", "True"))
    if len(option.flags) > 1:
        items.append(("alias=", literal(option.flags[1])))
    if option.choices:
        items.append(("choices=", tuple_of([literal(c) for c in option.choices])))
    if option.help:
        items.append(("help=", literal(option.help)))
    return Node("Option(", ")", tuple(items))


def command_source(command: CliCommand) -> Node:
    """``Command("keys create", "keys.create", "Create a key", options=(...))``."""
    items: list[tuple[str, Source]] = [
        ("", literal(" ".join(command.words))),
        ("", literal(command.call)),
        ("", literal(command.help)),
    ]
    if command.output != "json":
        items.append(("output=", literal(command.output)))
    if command.options:
        items.append(("options=", tuple_of([option_source(o) for o in command.options])))
    if command.defaults:
        items.append(("defaults=", literal(command.defaults)))
    return Node("Command(", ")", tuple(items))


def tables_source(commands: tuple[CliCommand, ...], ir: ApiIR) -> str:
    """``GROUPS`` (a group's words → its help) and ``COMMANDS``, in ruff's layout."""
    groups = literal(group_help(commands, ir))
    table = tuple_of([command_source(c) for c in commands])
    lines = [
        *layout(groups, 0, "GROUPS: dict[str, str] = "),
        "",
        *layout(table, 0, "COMMANDS: tuple[Command, ...] = "),
    ]
    return "\n".join(lines)


def cli_env_prefix(name: str) -> str:
    """``version2`` → ``VERSION2``: the stem of the CLI's environment variables."""
    return "".join(ch if ch.isalnum() else "_" for ch in name.upper())


def example_command(commands: tuple[CliCommand, ...], ir: ApiIR) -> CliCommand:
    """A command to show: the spec's first own command, else the first list, else the first."""
    by_words = {c.words: c for c in commands}
    named = [by_words[w] for w in (tuple(t.split()) for t, _, _ in ir.sdk.cli_commands)]
    pages = [c for c in commands if c.output == "page"]
    return [*named, *pages, *commands][0]


def usage(command: CliCommand) -> str:
    """Its words and required options: ``env export ENVIRONMENT_ID``."""
    words = list(command.words)
    for option in command.options:
        metavar = option.dest.upper()
        if option.path:
            words.append(metavar)
        elif option.required:
            words.extend((option.flags[0], metavar))
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class CliPlan:
    """The command-line tool of one API: the console script's name and its commands."""

    name: str
    env_prefix: str
    commands: tuple[CliCommand, ...]
    example: str  # a command line after the name, for the docstring and the README
    example_words: str  # that command's words


def cli_plan(
    ir: ApiIR, planner: PythonSdkPlanner, resources: tuple[ResourcePlan, ...]
) -> CliPlan | None:
    """The CLI of the API, ``None`` when ``x-specway-sdk.cli`` is ``false``."""
    if not ir.sdk.cli_name:
        return None
    cli = CliPlanner(ir, planner, resources)
    commands = cli.commands()
    if cli.problems:
        raise CodegenError(cli.problems)
    name = ir.sdk.cli_name
    example = example_command(commands, ir)
    return CliPlan(name, cli_env_prefix(name), commands, usage(example), " ".join(example.words))


def cli_files(ir: ApiIR, cli: CliPlan | None, env: jinja2.Environment) -> dict[str, str]:
    """``<package>/_cli.py`` when the API has a CLI."""
    if cli is None:
        return {}
    package = ir.sdk.python_package
    text = render(
        env,
        "_cli.py.j2",
        ir=ir,
        package=package,
        cli=cli,
        tables=tables_source(cli.commands, ir),
    )
    return {f"{package}/_cli.py": text}
