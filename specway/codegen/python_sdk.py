"""The Python SDK generator: the IR → a pip-installable package under ``sdk/python``.

=======================  =====================================================================
``pyproject.toml``       the distribution; httpx is the only runtime dependency
``README.md``            install, a first call, errors, retries, pagination, webhooks
``<pkg>/_core.py``       transport-agnostic: options, retry policy, params, pagination, errors
``<pkg>/_errors.py``     the exception tree and the spec's error envelope parsed
``<pkg>/_client.py``     ``Client`` and its resources (sync)           ┐ one template,
``<pkg>/_async_client``  ``AsyncClient`` and its resources (async)     ┘ ``client.py.j2``
``<pkg>/models.py``      dataclasses and aliases of every component schema
``<pkg>/webhooks.py``    ``verify_webhook`` returning a typed ``WebhookEvent``
=======================  =====================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from specway.codegen.ir import ApiIR, Operation, Parameter
from specway.codegen.naming import python_identifier
from specway.codegen.parse import CodegenError
from specway.codegen.python_cli import cli_files, cli_plan
from specway.codegen.python_types import AliasPlan, ModelPlan, PythonTypes, py_literal
from specway.codegen.quickstart import quickstart
from specway.codegen.render import environment, render
from specway.spec import Problem
from specway.spec.naming import snake

RESERVED_ARGUMENTS = frozenset({"request_options", "self"})
_SKIPPED_HEADERS = frozenset({"idempotency-key"})


@dataclass(frozen=True, slots=True)
class ArgPlan:
    """One keyword argument of an SDK method and where its value goes on the wire."""

    python_name: str
    wire_name: str
    annotation: str
    required: bool
    location: str  # path | query | header | json | file | body
    description: str


@dataclass(frozen=True, slots=True)
class PagePlan:
    """A list method: the page it returns (the response with its items) and how it pages."""

    style: str
    key: str
    page_param: str
    item_annotation: str
    item_decode: str
    response_annotation: str
    response_decode: str


@dataclass(frozen=True, slots=True)
class StreamPlan:
    """A ``text/event-stream`` method: what each event's ``data`` is decoded into."""

    item_annotation: str
    # An expression of ``data`` (the event's text): the model of ``x-specway-event-data``
    # decoded from its JSON, or the text itself.
    item_decode: str
    json: bool


@dataclass(frozen=True, slots=True)
class MethodPlan:
    """One SDK method: signature, request shape and return decoding."""

    name: str
    http_method: str
    path: str
    summary: str
    description: str
    deprecated: bool
    args: tuple[ArgPlan, ...]
    body: str  # none | json-fields | json | multipart
    returns: str
    response: str  # none | json | text
    decode: str
    idempotent: bool
    page: PagePlan | None
    iterator: str
    # The body argument that may also be passed by position, after the path ids: a body that
    # is not an object (``batch.execute([...])``) or an object's one required field.
    positional: str = ""
    stream: StreamPlan | None = None


@dataclass(frozen=True, slots=True)
class ResourcePlan:
    attribute: str
    class_name: str
    tag: str
    description: str
    methods: tuple[MethodPlan, ...]


@dataclass(frozen=True, slots=True)
class BoundPlan:
    """A model's own methods: ``workspace.update(...)`` calls ``client.workspaces.update(
    workspace.id, ...)`` on the client that returned the model; each of ``getters`` (resource,
    method) reads a sub-resource: ``deployment.get_status()`` calls
    ``client.deployments.get_status(deployment.id)``."""

    resource: str
    method: MethodPlan | None
    id_field: str
    getters: tuple[tuple[str, MethodPlan], ...] = ()

    @property
    def keyword_args(self) -> tuple[ArgPlan, ...]:
        if self.method is None:
            return ()
        return tuple(a for a in self.method.args if a.location != "path")


# A bound model's own attributes: a model with a field of one of these names gets no methods.
_BOUND_NAMES = frozenset({"update", "aupdate", "_client", "_async_client"})


def bound_models(
    resources: tuple[ResourcePlan, ...], models: dict[str, ModelPlan]
) -> dict[str, BoundPlan]:
    """The models that get ``update()``: each returned by its resource's ``update`` method
    whose one path parameter is the model's ``id`` (the first resource to claim it wins)."""
    plans = {m.model: m for m in models.values()}
    bound: dict[str, BoundPlan] = {}
    for resource in resources:
        for method in resource.methods:
            paths = [a for a in method.args if a.location == "path"]
            model = plans.get(method.returns)
            if method.name != "update" or len(paths) != 1 or model is None:
                continue
            names = {f.python_name for f in model.fields}
            if method.returns in bound or "id" not in names or names & _BOUND_NAMES:
                continue
            bound[method.returns] = BoundPlan(resource.attribute, method, "id")
    return _with_getters(resources, plans, bound)


def _with_getters(
    resources: tuple[ResourcePlan, ...], plans: dict[str, ModelPlan], bound: dict[str, BoundPlan]
) -> dict[str, BoundPlan]:
    """``bound`` plus each model's sub-resource getters: a ``get_<x>`` GET of the resource
    ``<name>s`` whose one path parameter is ``<name>_id`` becomes a method of every returned
    model called ``<name>`` or ``…<Name>`` that has an ``id`` (``ProjectDeployment`` gets
    ``deployments.get_status(deployment_id)`` as ``get_status()``)."""
    returned = sorted({m.returns for r in resources for m in r.methods if m.returns in plans})
    for resource in resources:
        for method in resource.methods:
            paths = [a for a in method.args if a.location == "path"]
            if (
                method.http_method.upper() != "GET"
                or not method.name.startswith("get_")
                or method.page is not None
                or method.response != "json"
                or len(paths) != 1
                or not paths[0].wire_name.endswith("_id")
            ):
                continue
            stem = paths[0].wire_name.removesuffix("_id")
            if resource.attribute != f"{stem}s":
                continue
            for name in returned:
                names = {f.python_name for f in plans[name].fields}
                own = {method.name, f"a{method.name}", "_client", "_async_client"}
                if snake(name).split("_")[-1] != stem or "id" not in names or names & own:
                    continue
                found = bound.get(name) or BoundPlan(resource.attribute, None, "id")
                getters = (*found.getters, (resource.attribute, method))
                bound[name] = replace(found, getters=getters)
    return bound


@dataclass(frozen=True, slots=True)
class AuthPlan:
    scheme: str  # bearer | header | query | none
    name: str
    # What goes before the key in its header: ``x-specway-sdk``'s ``credential.prefix``, or
    # ``Token `` for an ``apiKey`` scheme in ``Authorization`` (as the TypeScript SDK sends).
    prefix: str = ""


class PythonSdkPlanner:
    """Turns the IR into method, resource and model plans; problems are collected."""

    def __init__(self, ir: ApiIR) -> None:
        self.ir = ir
        self.problems: list[Problem] = []
        self.types = PythonTypes(ir, self.problems)

    def resources(self) -> tuple[ResourcePlan, ...]:
        result = []
        for tag in self.ir.sdk_tags:
            methods = tuple(plan for op in tag.operations if (plan := self.method(op)) is not None)
            if not methods:
                continue
            attribute = tag.operations[0].sdk.resource
            class_name = "".join(w.capitalize() for w in attribute.split("_") if w) + "Resource"
            result.append(ResourcePlan(attribute, class_name, tag.name, tag.description, methods))
        return tuple(result)

    def method(self, op: Operation) -> MethodPlan | None:
        success = op.success
        args = [self._param_arg(op, p) for p in op.parameters if self._is_argument(p)]
        body, body_args = self._body(op)
        args += body_args
        positional = self._positional(body, body_args)
        for arg in args:
            if arg.python_name in RESERVED_ARGUMENTS:
                self.problems.append(
                    Problem(
                        op.pointer,
                        f"argument {arg.python_name!r} clashes with the SDK's own keyword",
                        "rename the parameter or property",
                    )
                )
        returns, response, decode = "None", "none", "None"
        stream = self._stream(op)
        if stream is not None:
            returns, response = stream.item_annotation, "stream"
        elif success is not None and success.schema is not None:
            if (success.content_type or "").startswith("text/"):
                returns, response, decode = "str", "text", "response.text"
            else:
                returns = qualify(self.types.annotation(success.schema))
                response = "json"
                decode = self.types.decode(success.schema, "response.json()")
        page = None
        if (
            op.pagination is not None
            and op.pagination.item_schema is not None
            and success is not None
            and success.schema is not None
            and response == "json"
        ):
            names = {p.name for p in op.query_parameters}
            page = PagePlan(
                style=op.pagination.style,
                key=op.pagination.key,
                page_param="cursor" if "cursor" in names else "page",
                item_annotation=qualify(self.types.annotation(op.pagination.item_schema)),
                item_decode=self.types.decode(op.pagination.item_schema, "item"),
                response_annotation=returns,
                response_decode=self.types.decode(success.schema, "body"),
            )
        path = op.path
        for p in op.path_parameters:
            name = op.sdk.argument(p.name, p.python_name)
            segment = f"path_segment({name}, {name!r})"
            path = path.replace("{" + p.name + "}", "{" + segment + "}")
        return MethodPlan(
            name=op.sdk.method,
            http_method=op.method.upper(),
            path=path,
            summary=" ".join(op.summary.split()),
            description=op.description,
            deprecated=op.deprecated,
            args=tuple(sorted(args, key=lambda a: not a.required)),
            positional=positional,
            body=body,
            returns=returns,
            response=response,
            decode=decode,
            idempotent=op.method in ("post", "patch"),
            page=page,
            iterator=op.sdk.python_iterator,
            stream=stream,
        )

    def _stream(self, op: Operation) -> StreamPlan | None:
        if not op.streams:
            return None
        if op.event_data is None:
            return StreamPlan("str", "data", json=False)
        annotation = qualify(self.types.annotation(op.event_data))
        return StreamPlan(annotation, self.types.decode(op.event_data, "json.loads(data)"), True)

    @staticmethod
    def _is_argument(p: Parameter) -> bool:
        if p.location == "cookie":
            return False
        return not (p.location == "header" and p.name.lower() in _SKIPPED_HEADERS)

    @staticmethod
    def _positional(body: str, args: list[ArgPlan]) -> str:
        if body == "json":
            return args[0].python_name if args[0].required else ""
        required = [a for a in args if a.required]
        return required[0].python_name if body == "json-fields" and len(required) == 1 else ""

    def _param_arg(self, op: Operation, p: Parameter) -> ArgPlan:
        annotation = self.types.annotation(p.schema)
        if not p.required:
            annotation += " | Unset"
        if p.schema.nullable:
            annotation += " | None"
        return ArgPlan(
            op.sdk.argument(p.name, p.python_name),
            p.name,
            qualify(annotation),
            p.required,
            p.location,
            " ".join(p.description.split()),
        )

    def _body(self, op: Operation) -> tuple[str, list[ArgPlan]]:
        if op.body is None:
            return "none", []
        schema = op.body.schema
        props = self.types.object_properties(schema)
        multipart = op.body.content_type.startswith("multipart/")
        if props is None:
            if multipart:
                self.problems.append(
                    Problem(op.pointer, "multipart body is not an object", "describe its parts")
                )
            annotation = self.types.annotation(schema)
            required = op.body.required
            return "json", [
                ArgPlan(
                    "body",
                    "body",
                    qualify(annotation if required else f"{annotation} | Unset"),
                    required,
                    "body",
                    op.body.description,
                )
            ]
        args = []
        for prop in props:
            if prop.schema.read_only:
                continue
            field = self.types.field(prop)
            args.append(
                ArgPlan(
                    op.sdk.argument(prop.name, prop.python_name),
                    prop.name,
                    qualify(field.annotation),
                    prop.required,
                    "file" if multipart else "json",
                    field.description,
                )
            )
        return ("multipart" if multipart else "json-fields"), args


def pydoc(text: object) -> str:
    """Text safe inside a triple-quoted docstring."""
    return str(text).replace("\\", "\\\\").replace('"""', '\\"\\"\\"').rstrip()


_BUILTIN_GENERICS = re.compile(r"(?<![.\w])(list|dict)\[")


def qualify(annotation: str) -> str:
    """``list[...]`` as ``builtins.list[...]``: a resource method may be called ``list``."""
    return _BUILTIN_GENERICS.sub(r"builtins.\1[", annotation)


_IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def client_imports(resources: tuple[ResourcePlan, ...], types: PythonTypes) -> dict[str, Any]:
    """What the client modules use: model names, ``Literal``, ``datetime``, ``Unset``."""
    texts: list[str] = []
    for r in resources:
        for m in r.methods:
            texts += [a.annotation for a in m.args] + [m.returns, m.decode, m.path]
            if m.page:
                texts += [m.page.item_annotation, m.page.item_decode, m.page.response_decode]
            if m.stream:
                texts += [m.stream.item_annotation, m.stream.item_decode]
    names = {n for text in texts for n in _IDENT.findall(text)}
    models = {types.named[n].model for n in types.named}
    union_decoders = {f"_decode_{a.model}" for a in types.aliases.values() if a.variants}
    return {
        "models": sorted(names & models, key=str.lower) + sorted(names & union_decoders),
        "path_segment": "path_segment" in names,
        "literal": "Literal" in names,
        "datetime": "datetime" in names,
        "unset": "Unset" in names,
        "builtins": "builtins" in names,
        "warnings": any(m.page for r in resources for m in r.methods),
        "streams": any(m.stream for r in resources for m in r.methods),
        "json": any(m.stream and m.stream.json for r in resources for m in r.methods),
    }


def model_imports(
    models: list[ModelPlan], aliases: list[AliasPlan], bound: dict[str, BoundPlan]
) -> dict[str, Any]:
    """What ``models.py`` uses from the standard library and ``_types``."""
    texts = [f.annotation + " " + f.decode for m in models for f in m.fields]
    texts += [a.annotation for a in aliases]
    texts += [a.annotation for b in bound.values() for a in b.keyword_args]
    names = {n for text in texts for n in _IDENT.findall(text)}
    helpers = ["UNSET"] if models else []
    helpers += [n for n in ("Unset", "parse_date", "parse_datetime") if n in names]
    if models:
        helpers.append("to_json")
    return {
        "literal": "Literal" in names,
        "datetime": "datetime" in names,
        "any": "Any" in names,
        "builtins": "builtins" in names,
        "types": helpers,
    }


def auth_plan(ir: ApiIR) -> AuthPlan:
    """How the SDK sends its key: the first scheme a client can use with a static key."""
    for scheme in ir.security_schemes:
        if scheme.type == "http" and (scheme.scheme or "").lower() == "bearer":
            return AuthPlan("bearer", "Authorization")
        if scheme.type == "apiKey" and scheme.header_name:
            if scheme.location == "query":
                return AuthPlan("query", scheme.header_name)
            default = "Token " if scheme.header_name.lower() == "authorization" else ""
            prefix = ir.sdk.credential_prefix or default
            return AuthPlan("header", scheme.header_name, prefix)
    return AuthPlan("none", "")


# What ``__init__`` exports besides the models (the client classes are added per spec).
PACKAGE_EXPORTS = (
    "UNSET",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimitInfo",
    "RequestOptions",
    "RetryPolicy",
    "UnprocessableEntityError",
    "Unset",
    "WebhookEvent",
    "WebhookVerificationError",
    "__version__",
    "verify_webhook",
)


# What ``__init__`` exports besides those when the API has event streams.
STREAM_EXPORTS = ("AsyncEventStream", "EventStream", "ServerSentEvent")


def package_exports(
    ir: ApiIR, model_names: list[str], streams: bool = False
) -> tuple[list[str], list[str]]:
    """``(models re-exported, __all__)``: ``from hexabase import Client, Workspace``.

    A model whose name is one of the package's own (``WebhookEvent``, a client class) stays in
    ``<package>.models`` only. ``__all__`` is sorted as ruff's RUF022 wants: constants, classes,
    then the rest.
    """
    own = {*PACKAGE_EXPORTS, ir.sdk.client_class, ir.sdk.async_client_class}
    if streams:
        own.update(STREAM_EXPORTS)
    models = [name for name in model_names if name not in own]

    def order(name: str) -> tuple[int, str, str]:
        if len(name) > 1 and name.isupper():
            return 0, name.lower(), name
        return (1 if name[:1].isupper() else 2), name.lower(), name

    return sorted(models, key=order), sorted([*own, *models], key=order)


def python_quickstart(ir: ApiIR) -> dict[str, str] | None:
    """The Python spelling of the README program (:mod:`codegen.quickstart`)."""
    plan = quickstart(ir)
    if plan is None:
        return None
    fields = ", ".join(
        f"{python_identifier(name)}={py_literal(value)}" for name, value in plan.fields
    )
    size = f"{python_identifier(plan.page_size_param)}=2" if plan.page_size_param else ""
    return {
        "resource": plan.create.sdk.resource,
        "create_call": f"{plan.create.sdk.method}({fields})",
        "list_call": f"{plan.list.sdk.method}({size})",
        "get_call": f"{plan.get.sdk.method}({py_literal(plan.missing_id)})",
    }


def python_program(ir: ApiIR, templates: Path | None = None) -> str:
    """The program the README (and the reference's SDKs section) opens with."""
    env = environment("python", templates, {"pydoc": pydoc, "pyrepr": py_literal, "pystr": repr})
    stem = ir.sdk.env_var.removesuffix("_API_KEY")
    return render(
        env,
        "_program.py.j2",
        ir=ir,
        package=ir.sdk.python_package,
        env_var=ir.sdk.env_var,
        base_url_env_var=f"{stem}_BASE_URL",
        quickstart=python_quickstart(ir),
    )


def generate_python(ir: ApiIR, templates: Path | None = None) -> dict[str, str]:
    """Render the Python SDK: relative path → file text."""
    planner = PythonSdkPlanner(ir)
    resources = planner.resources()
    if planner.problems:
        raise CodegenError(planner.problems)
    package = ir.sdk.python_package
    env = environment("python", templates, {"pydoc": pydoc, "pyrepr": py_literal, "pystr": repr})
    models: list[ModelPlan] = sorted(planner.types.models.values(), key=lambda m: m.model)
    aliases: list[AliasPlan] = sorted(planner.types.aliases.values(), key=lambda a: a.model)
    stem = ir.sdk.env_var.removesuffix("_API_KEY")
    bound = bound_models(resources, planner.types.models)
    cli = cli_plan(ir, planner, resources)
    context = {
        "ir": ir,
        "package": package,
        "distribution": ir.sdk.python_distribution,
        "resources": resources,
        "models": models,
        "aliases": aliases,
        "auth": auth_plan(ir),
        "env_var": ir.sdk.env_var,
        "base_url_env_var": f"{stem}_BASE_URL",
        "events": [event.name for event in ir.webhooks],
        "errors": ir.errors,
        "imports": client_imports(resources, planner.types),
        "bound": bound,
        "model_imports": model_imports(models, aliases, bound),
        "program": python_program(ir, templates),
        "cli": cli,
        "all_model_names": sorted(
            [m.model for m in models] + [a.model for a in aliases], key=str.lower
        ),
    }
    streams = any(m.stream for r in resources for m in r.methods)
    context["exported_models"], context["exports"] = package_exports(
        ir, [m.model for m in models] + [a.model for a in aliases], streams
    )
    files: dict[str, str] = {
        "pyproject.toml": render(env, "pyproject.toml.j2", **context),
        "README.md": render(env, "README.md.j2", **context),
        f"{package}/py.typed": "",
        f"{package}/__init__.py": render(env, "__init__.py.j2", **context),
        f"{package}/_types.py": render(env, "_types.py.j2", **context),
        f"{package}/_errors.py": render(env, "_errors.py.j2", **context),
        f"{package}/_core.py": render(env, "_core.py.j2", **context),
        f"{package}/models.py": render(env, "models.py.j2", **context),
        f"{package}/webhooks.py": render(env, "webhooks.py.j2", **context),
        f"{package}/_client.py": render(env, "client.py.j2", asynchronous=False, **context),
        f"{package}/_async_client.py": render(env, "client.py.j2", asynchronous=True, **context),
    }
    files.update(cli_files(ir, cli, env))
    return files
