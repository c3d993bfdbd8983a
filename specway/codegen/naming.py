"""The SDK surface's names, in one place: the docs snippets and every SDK generator use these.

``client.<resource>.<method>(...)``: the resource is the operation's first tag in snake case
(``API keys`` → ``api_keys``; TypeScript: ``apiKeys``), the method is the resource's verb, read
from the operationId and the path rather than copied from the operationId:

* the tag's noun goes (``listProjects`` → ``list``, ``rollbackDeployment`` → ``rollback``);
* an action path names the method (``registerUser`` at ``/auth/register`` → ``register``,
  ``rotateWebhookSecret`` at ``…/rotate-secret`` → ``rotate_secret``, ``streamProjectLogs``
  at ``/projects/{id}/logs/stream`` → ``stream_logs``);
* parent resources of the path go (``getProjectConfig`` at ``/projects/{id}/config`` →
  ``get_config``), and come back as ``for_<parent>`` where the short name would collide
  (``createProjectWebhook`` → ``webhooks.create_for_project`` beside ``webhooks.create``).

Names that still collide fall back to the full operationId in snake case; an operation's
``x-specway-sdk-name`` overrides all of this. What collides after that is a generator error.
"""

from __future__ import annotations

import json
import keyword
from dataclasses import dataclass

from specway.spec.naming import camel, pascal, snake, words

# Names that are keywords (or ``self``) get a trailing underscore.
_PY_RESERVED = frozenset(keyword.kwlist) | {"self"}
_TS_RESERVED = frozenset(
    {
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "new",
        "null",
        "return",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
    }
)


def singular(word: str) -> str:
    """A plain English singular, good enough for resource nouns (``entries`` → ``entry``)."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 2:
        return word[:-1]
    return word


def resource_name(tag: str) -> str:
    """The Python attribute of a tag's resource: ``API keys`` → ``api_keys``."""
    return snake(tag) or "default"


def ts_resource_name(tag: str) -> str:
    """The TypeScript property of a tag's resource: ``API keys`` → ``apiKeys``."""
    return camel(tag) or "default"


def _strip(op_words: list[str], noun: list[str]) -> list[str] | None:
    size = len(noun)
    for start in range(len(op_words) - size + 1):
        if op_words[start : start + size] == noun:
            rest = op_words[:start] + op_words[start + size :]
            return rest or None
    return None


def short_method_words(operation_id: str, tag: str) -> list[str]:
    """The operationId's words without the tag noun (plural, then singular form)."""
    op_words = words(operation_id)
    tag_words = words(tag)
    if not tag_words:
        return op_words
    for noun in (tag_words, [*tag_words[:-1], singular(tag_words[-1])]):
        stripped = _strip(op_words, noun)
        if stripped:
            return stripped
    return op_words


def python_identifier(name: str) -> str:
    """``name`` in snake case, made safe as a Python identifier or keyword argument."""
    ident = snake(name) or "value"
    if ident[0].isdigit():
        ident = "_" + ident
    return ident + "_" if ident in _PY_RESERVED else ident


def ts_identifier(name: str) -> str:
    """``name`` in camel case, made safe as a TypeScript identifier."""
    ident = camel(name) or "value"
    if ident[0].isdigit():
        ident = "_" + ident
    return ident + "_" if ident in _TS_RESERVED else ident


def model_name(name: str) -> str:
    """The class/type name of a component schema: ``project_config`` → ``ProjectConfig``."""
    return pascal(name) or "Model"


@dataclass(frozen=True, slots=True)
class SdkMethod:
    """Where an operation lives on the SDK clients."""

    resource: str
    method: str
    ts_resource: str
    ts_method: str
    # ``x-specway-sdk`` renames: (wire name, SDK argument name) of parameters and body fields.
    arguments: tuple[tuple[str, str], ...] = ()

    def argument(self, wire: str, default: str) -> str:
        """The SDK name of the parameter or body field ``wire`` (``default`` unless renamed)."""
        return next((python_identifier(new) for old, new in self.arguments if old == wire), default)

    @property
    def python_call(self) -> str:
        return f"client.{self.resource}.{self.method}"

    @property
    def ts_call(self) -> str:
        return f"client.{self.ts_resource}.{self.ts_method}"

    @property
    def python_iterator(self) -> str:
        """The auto-paginating twin of a list method: ``list`` → ``list_all``."""
        return f"{self.method}_all"

    @property
    def ts_iterator(self) -> str:
        return f"{self.ts_method}All"


def _segments(path: str) -> tuple[list[list[str]], list[str]]:
    """The words of each literal segment of ``path`` and the nouns of its parent resources.

    A parent is a literal segment followed by a parameter that is not the last literal one
    (``projects`` in ``/projects/{id}/config``; not ``members`` in ``/orgs/{id}/members/{uid}``).
    """
    parts = [p for p in path.split("/") if p]
    literal = [i for i, p in enumerate(parts) if not p.startswith("{")]
    last = literal[-1] if literal else -1
    parents = [
        singular(w)
        for i in literal
        if i != last and i + 1 < len(parts) and parts[i + 1].startswith("{")
        for w in words(parts[i])
    ]
    return [words(parts[i]) for i in literal], parents


def method_candidates(operation_id: str, tag: str, path: str = "") -> list[list[str]]:
    """The names an operation may take, best first (the caller picks the first unique one)."""
    rest = short_method_words(operation_id, tag)
    if not path:
        return [rest, words(operation_id)]
    literal, parents = _segments(path)
    verb = rest[0]
    if literal and literal[-1] and literal[-1][0] == verb:
        action = literal[-1]
        nouns = {singular(w) for segment in literal[:-1] for w in segment} - set(parents)
        extra = [w for w in rest[1:] if w not in action and singular(w) in nouns]
        return [[*action, *extra], [*action, *extra, "for", *parents[-1:]], words(operation_id)]
    kept = [w for w in rest if singular(w) not in parents or w == verb] or [verb]
    gone = [p for p in parents if p in {singular(w) for w in rest[1:]}]
    return [kept, [*kept, "for", *gone[-1:]] if gone else rest, rest, words(operation_id)]


def sdk_methods(
    operations: list[tuple[str, str]],
    paths: dict[str, str] | None = None,
    overrides: dict[str, str] | None = None,
    placements: dict[str, tuple[str, dict[str, str]]] | None = None,
) -> dict[str, SdkMethod]:
    """``{operationId: SdkMethod}`` for ``(operationId, tag)`` pairs.

    ``paths`` (operationId → path) lets the path name the method; ``overrides`` are the
    operations' ``x-specway-sdk-name``. Each operation takes the first of its
    :func:`method_candidates` that no other operation of its resource wants; callers check the
    result for remaining collisions. ``placements`` (``x-specway-sdk``'s ``operations``) put an
    operation on another resource (its snake-case name; ``""`` keeps the tag's) and rename its
    arguments.
    """
    paths = paths or {}
    overrides = overrides or {}
    placements = placements or {}
    resource_of = {
        op_id: (placements.get(op_id, ("", {}))[0] or resource_name(tag))
        for op_id, tag in operations
    }
    options = {
        op_id: (
            [words(overrides[op_id])]
            if op_id in overrides
            else method_candidates(op_id, tag, paths.get(op_id, ""))
        )
        for op_id, tag in operations
    }
    chosen: dict[str, str] = {}
    for depth in range(max((len(o) for o in options.values()), default=0)):
        wanted: dict[tuple[str, str], list[str]] = {}
        for op_id, _ in operations:
            if op_id in chosen:
                continue
            candidate = options[op_id][min(depth, len(options[op_id]) - 1)]
            wanted.setdefault((resource_of[op_id], "_".join(candidate)), []).append(op_id)
        taken = {(resource_of[o], chosen[o]) for o, _ in operations if o in chosen}
        for key, op_ids in wanted.items():
            if len(op_ids) == 1 and key not in taken:
                chosen[op_ids[0]] = key[1]
    for op_id, _ in operations:
        chosen.setdefault(op_id, snake(op_id))
    result: dict[str, SdkMethod] = {}
    for op_id, _ in operations:
        name = chosen[op_id]
        method = python_identifier(name)
        result[op_id] = SdkMethod(
            resource=python_identifier(resource_of[op_id]),
            method=method,
            ts_resource=ts_identifier(ts_resource_name(resource_of[op_id])),
            ts_method=camel(name) or "call",
            arguments=tuple(sorted(placements.get(op_id, ("", {}))[1].items())),
        )
    return result


@dataclass(frozen=True, slots=True)
class SdkNames:
    """Package-level names of the generated SDKs: from the spec title, or ``x-specway-sdk``."""

    python_package: str
    python_distribution: str
    npm_package: str
    client_class: str
    async_client_class: str
    env_var: str
    ts_client_class: str = "Client"
    # ``require(package)`` is the client class itself (``x-specway-sdk.typescript.default_export``).
    ts_default_export: bool = False
    go_module: str = ""
    go_package: str = ""
    # A second name of the Python client's credential argument (``token``) and what goes
    # before the credential in its header (``Token ``).
    credential_alias: str = ""
    credential_prefix: str = ""
    # ``x-specway-sdk.cli``: the console script (empty: no CLI) and its commands, each
    # (words, operationId, defaults as JSON text).
    cli_name: str = ""
    cli_commands: tuple[tuple[str, str, str], ...] = ()

    @classmethod
    def from_title(cls, title: str) -> SdkNames:
        """``Specway Platform API`` → ``specway_client``; ``KeyNest API`` → ``keynest_client``."""
        tokens = ["".join(ch for ch in t.lower() if ch.isalnum()) for t in title.split()]
        stem = next((t for t in tokens if t and t not in ("api", "the")), "api")
        if stem[0].isdigit():
            stem = "api" + stem
        return cls(
            python_package=f"{stem}_client",
            python_distribution=f"{stem}-client",
            npm_package=f"{stem}-client",
            client_class="Client",
            async_client_class="AsyncClient",
            env_var=f"{stem.upper()}_API_KEY",
            go_module=f"github.com/{stem}/{stem}-go",
            go_package=stem,
            cli_name=f"{stem}-client",
        )

    @classmethod
    def from_document(cls, title: str, config: object) -> SdkNames:
        """The title's names with what the document's ``x-specway-sdk`` (validated) sets."""
        names = cls.from_title(title)
        if not isinstance(config, dict):
            return names
        python = config.get("python") or {}
        typescript = config.get("typescript") or {}
        go = config.get("go") or {}
        credential = config.get("credential") or {}
        package = str(python.get("package") or names.python_package)
        client = str(python.get("client") or names.client_class)
        distribution = str(
            python.get("distribution")
            or (package.replace("_", "-") if "package" in python else "")
            or names.python_distribution
        )
        cli = config.get("cli", {})
        cli = cli if isinstance(cli, dict) else None
        commands = (cli or {}).get("commands") or {}
        return cls(
            python_package=package,
            python_distribution=distribution,
            npm_package=str(typescript.get("package") or names.npm_package),
            client_class=client,
            async_client_class=str(
                python.get("async_client")
                or ("Async" + client if "client" in python else names.async_client_class)
            ),
            env_var=names.env_var,
            ts_client_class=str(typescript.get("client") or names.ts_client_class),
            ts_default_export=bool(typescript.get("default_export", False)),
            go_module=str(go.get("module") or names.go_module),
            go_package=str(go.get("package") or names.go_package),
            credential_alias=str(credential.get("alias") or ""),
            credential_prefix=str(credential.get("prefix") or ""),
            cli_name="" if cli is None else str(cli.get("name") or distribution),
            cli_commands=tuple(
                (
                    str(words),
                    str(target if isinstance(target, str) else target.get("operation")),
                    json.dumps({} if isinstance(target, str) else target.get("defaults") or {}),
                )
                for words, target in commands.items()
            ),
        )
