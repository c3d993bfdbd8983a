"""The Go SDK generator: the IR → a Go module (standard library only) under ``sdk/go``.

=========================  ==================================================================
``go.mod``                 the module; no requirements
``README.md``              install, auth, a first program, pagination, errors, retries, webhooks
``client.go``              ``Client``, ``NewClient(apiKey, opts...)``, the functional options
``core.go``                requests, retries with backoff, ``Idempotency-Key``, pointer helpers
``errors.go``              ``*APIError`` and one type per status (``errors.As`` finds both)
``pagination.go``          the page walker behind every ``List``/``ListAutoPaging``
``pages.go``               one page type and one iterator type per list response
``webhooks.go``            ``VerifyWebhook`` (Standard Webhooks and ``X-Signature``)
``models.go``              one type per component schema (:mod:`codegen.go_models`)
``<resource>_service.go``  one service per tag, one method per operation
``sdk_test.go``            ``go test`` of the core against ``httptest`` servers
=========================  ==================================================================

Types come from :mod:`codegen.go_types` (laid out by :mod:`codegen.go_models`), methods from
:mod:`codegen.go_services`; the rest are templates in ``templates/go``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from specway.codegen.go_models import go_file, imports_of, render_models
from specway.codegen.go_services import GoSdkPlanner
from specway.codegen.go_types import align, go_name, go_string
from specway.codegen.ir import ApiIR
from specway.codegen.python_sdk import auth_plan
from specway.codegen.quickstart import quickstart
from specway.codegen.render import GENERATED, environment, render

_CANDIDATE_IMPORTS = ("context", "encoding/json", "time")


def _quickstart(ir: ApiIR, planner: GoSdkPlanner, package: str) -> dict[str, str] | None:
    """The Go spelling of the README program (:mod:`codegen.quickstart`)."""
    plan = quickstart(ir)
    if plan is None:
        return None
    create, body, _, _ = planner.signatures[plan.create.operation_id]
    listing, _, params, fields = planner.signatures[plan.list.operation_id]
    get = planner.signatures[plan.get.operation_id][0]
    struct = planner.types.structs[body or ""]
    by_wire = {f.wire: f.name for f in struct.fields}
    values = ", ".join(f"{by_wire[name]}: {go_string(value)}" for name, value in plan.fields)
    size = "nil"
    if plan.page_size_param and params:
        size = f"&{package}.{params}{{{fields[plan.page_size_param]}: {package}.Int(2)}}"
    return {
        "service": go_name(plan.create.sdk.resource),
        "create_call": f"{create}(ctx, {package}.{body}{{{values}}})",
        "list_call": f"{listing}AutoPaging(ctx, {size})",
        "get_call": f"{get}(ctx, {go_string(plan.missing_id)})",
        "get_method": get,
        "get_path": plan.get.path.replace("{" + plan.get.path_parameters[0].name + "}", "a%2Fb"),
    }


def _error_expectations(ir: ApiIR) -> dict[str, str]:
    """The spec's error example as Go literals, for the generated test of the envelope."""
    example = ir.errors.example
    nested = example.get("error")
    inner: dict[str, Any] = nested if isinstance(nested, dict) else example
    if ir.errors.style == "problem":
        message = inner.get("detail") or inner.get("title")
    elif ir.errors.style == "flat":
        message = (
            inner.get("error") if isinstance(inner.get("error"), str) else inner.get("message")
        )
    else:
        message = inner.get("message")
    request_id = inner.get("request_id") or example.get("request_id") or "req_header"
    return {
        "error_body": "`" + json.dumps(example).replace("`", "") + "`",
        "error_code": go_string(str(inner.get("code", ""))),
        "error_message": go_string(str(message or "Bad Request")),
        "error_request_id": go_string(str(request_id)),
    }


def module_path(ir: ApiIR) -> tuple[str, str]:
    """``(module path, package name)``: ``github.com/specway/specway-go`` and ``specway``."""
    return ir.sdk.go_module, ir.sdk.go_package


def go_program(
    ir: ApiIR, templates: Path | None = None, planner: GoSdkPlanner | None = None
) -> str:
    """The program the README (and the reference's SDKs section) opens with."""
    module, package = module_path(ir)
    stem = ir.sdk.env_var.removesuffix("_API_KEY")
    return render(
        environment("go", templates),
        "_program.go.j2",
        ir=ir,
        module=module,
        package=package,
        env_var=ir.sdk.env_var,
        base_url_env_var=f"{stem}_BASE_URL",
        quickstart=_quickstart(ir, planner or GoSdkPlanner(ir), package),
    )


def generate_go(ir: ApiIR, templates: Path | None = None) -> dict[str, str]:
    """Render the Go SDK: relative path → file text."""
    planner = GoSdkPlanner(ir)
    module, package = module_path(ir)
    header = f"// {GENERATED}"
    env = environment("go", templates)
    auth = auth_plan(ir)
    stem = ir.sdk.env_var.removesuffix("_API_KEY")
    events = align(
        [
            ["\tEvent" + go_name(name, "Unknown"), "EventType", "= " + go_string(name)]
            for name in sorted({e.name for e in ir.webhooks})
        ]
    )
    context = {
        "ir": ir,
        "package": package,
        "module": module,
        "module_name": module.rsplit("/", 1)[-1],
        "resources": planner.resources,
        "env_var": ir.sdk.env_var,
        "base_url_env_var": f"{stem}_BASE_URL",
        "auth": auth,
        "auth_prefix": go_string(auth.prefix),
        "auth_expected": go_string(auth.prefix + "test-key"),
        "errors": ir.errors,
        "events": events,
        "program": go_program(ir, templates, planner),
        "quickstart": _quickstart(ir, planner, package),
        **_error_expectations(ir),
    }
    files = {
        "go.mod": f"{header}\n\nmodule {module}\n\ngo 1.19\n",
        "README.md": render(env, "README.md.j2", **context),
        "client.go": render(env, "client.go.j2", **context),
        "core.go": render(env, "core.go.j2", **context),
        "errors.go": render(env, "errors.go.j2", **context),
        "pagination.go": render(env, "pagination.go.j2", **context),
        "webhooks.go": render(env, "webhooks.go.j2", **context),
        "sdk_test.go": render(env, "sdk_test.go.j2", **context),
    }
    for resource in planner.resources:
        body = planner.service_text[resource.service]
        files[resource.file] = go_file(header, package, body, imports_of(body, _CANDIDATE_IMPORTS))
    if planner.pages:
        files["pages.go"] = render(
            env, "pages.go.j2", pages=list(planner.pages.values()), **context
        )
    files["models.go"] = render_models(planner.types, header, package)
    if planner.streams:
        names = planner.stream_types
        files["stream.go"] = render(
            env,
            "stream.go.j2",
            stream=names["EventStream"],
            sse=names["ServerSentEvent"],
            **context,
        )
    return files
