"""The SDK surface's names, in one place: the docs snippets and every SDK generator use these.

``client.<resource>.<method>(...)``: the resource is the operation's first tag in snake case
(``API keys`` → ``api_keys``; TypeScript: ``apiKeys``), the method is the operationId without the
tag's noun (``listProjects`` → ``list``, ``getProject`` → ``get``, ``rollbackDeployment`` →
``rollback``). When stripping the noun makes two methods of one resource collide, both keep their
full names (``list_project_environments``); what still collides is a generator error.
"""

from __future__ import annotations

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


def sdk_methods(operations: list[tuple[str, str]]) -> dict[str, SdkMethod]:
    """``{operationId: SdkMethod}`` for ``(operationId, tag)`` pairs.

    Short names where they are unique within a resource, full snake-case operationIds where
    the short ones collide. Callers check the result for remaining collisions.
    """
    short: dict[str, str] = {
        op_id: "_".join(short_method_words(op_id, tag)) for op_id, tag in operations
    }
    seen: dict[tuple[str, str], list[str]] = {}
    for op_id, tag in operations:
        seen.setdefault((resource_name(tag), short[op_id]), []).append(op_id)
    result: dict[str, SdkMethod] = {}
    for op_id, tag in operations:
        name = short[op_id]
        if len(seen[(resource_name(tag), name)]) > 1:
            name = snake(op_id)
        method = python_identifier(name)
        result[op_id] = SdkMethod(
            resource=python_identifier(resource_name(tag)),
            method=method,
            ts_resource=ts_identifier(ts_resource_name(tag)),
            ts_method=camel(name) or "call",
        )
    return result


@dataclass(frozen=True, slots=True)
class SdkNames:
    """Package-level names of the generated SDKs, derived from the spec title."""

    python_package: str
    python_distribution: str
    npm_package: str
    client_class: str
    async_client_class: str
    env_var: str

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
        )
