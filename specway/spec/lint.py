"""Structural validation (openapi-spec-validator) and specway's own lint rules.

``validate_document`` checks the document against the schema of the OpenAPI version it declares
(3.0 or 3.1); ``lint_document`` adds the version rules (``specway.spec.version_rules``) and the
house rules (operationId, summary and tag on every operation, documented errors using the shared
error schema, explicit security, request examples, well-formed extensions). Both return every
problem at once.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

from specway.spec.dialect import oas_version
from specway.spec.loader import Document, include_parts, read_document
from specway.spec.methods import HTTP_METHODS
from specway.spec.model import SpecModel, build_model
from specway.spec.problems import Level, Problem, pointer
from specway.spec.version_rules import version_rules

ERROR_SCHEMA_NAMES = frozenset({"Error", "ErrorEnvelope", "Problem"})


def validate_document(document: Document, file: str = "") -> list[Problem]:
    """Check ``document`` against the OpenAPI 3.0 or 3.1 schema, as its ``openapi`` says."""
    version = oas_version(document)
    validators = {"3.0": OpenAPIV30SpecValidator, "3.1": OpenAPIV31SpecValidator}
    if version not in validators:
        return [
            Problem(
                "/openapi",
                f"OpenAPI {document.get('openapi') or '?'} is not supported",
                "use openapi: 3.1.0 (or 3.0.3)",
                file=file,
            )
        ]
    problems = []
    for err in validators[version](document).iter_errors():
        first_line = str(err.message).splitlines()[0]
        problems.append(
            Problem(
                pointer(*err.path),
                first_line,
                f"see the OpenAPI {'3.1.1' if version == '3.1' else '3.0.3'} specification",
                file=file,
            )
        )
    return problems


def lint_document(document: Document, file: str = "") -> list[Problem]:
    """Every problem of ``document``: schema errors, extension errors and house rules."""
    # The author's own document, before the parts merge in (the version rules look for
    # nullable there: the loader rewrites it in a 3.1 document, and the parts carry it).
    authored = (
        read_document(Path(file)) if file and Path(file).is_file() else copy.deepcopy(document)
    )
    include_parts(document)  # its problems come with build_model's
    problems = validate_document(document, file)
    model, model_problems = build_model(document, file)
    problems += model_problems
    problems += [_with_file(p, file) for p in version_rules(document, authored)]
    problems += [_with_file(p, file) for p in _house_rules(document)]
    problems += [_with_file(p, file) for p in _ratelimit_rules(model)]
    problems += [_with_file(p, file) for p in _envelope_rules(model)]
    return sorted(problems, key=lambda p: (p.pointer, p.message))


def _refers_to_error_schema(node: Any, document: Document) -> bool:
    if not isinstance(node, dict):
        return False
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if ref.startswith("#/components/responses/"):
            target = ((document.get("components") or {}).get("responses") or {}).get(name)
            return _refers_to_error_schema(target, document)
        return name in ERROR_SCHEMA_NAMES
    for media in (node.get("content") or {}).values():
        schema = (media or {}).get("schema") or {}
        if _refers_to_error_schema(schema, document):
            return True
    return False


def _house_rules(document: Document) -> list[Problem]:
    problems: list[Problem] = []
    has_global_security = "security" in document
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            at = ("paths", path, method)
            if not op.get("operationId"):
                problems.append(
                    Problem(
                        pointer(*at),
                        "operation has no operationId",
                        "add operationId: <verbNoun>, e.g. listProjects",
                    )
                )
            if not op.get("summary"):
                problems.append(
                    Problem(pointer(*at), "operation has no summary", "add a one-line summary")
                )
            if not op.get("tags"):
                problems.append(
                    Problem(
                        pointer(*at),
                        "operation has no tag",
                        "add tags: [<Resource>]; the tag names the handler module",
                    )
                )
            if "security" not in op and not has_global_security:
                problems.append(
                    Problem(
                        pointer(*at),
                        "operation declares no security",
                        "add security: [{bearerAuth: [read]}] or security: [] for a public one",
                    )
                )
            responses = op.get("responses") or {}
            errors = [code for code in responses if str(code)[0] in "45" or str(code) == "default"]
            if not errors:
                problems.append(
                    Problem(
                        pointer(*at, "responses"),
                        "no 4xx/5xx response is documented",
                        "add e.g. '400': {$ref: '#/components/responses/BadRequest'}",
                    )
                )
            for code in errors:
                if not _refers_to_error_schema(responses[code], document):
                    problems.append(
                        Problem(
                            pointer(*at, "responses", code),
                            "error response does not use the shared error schema",
                            "reference #/components/responses/<Kind> or schema Error",
                        )
                    )
            body = op.get("requestBody")
            if isinstance(body, dict) and "$ref" not in body:
                for ctype, media in (body.get("content") or {}).items():
                    media = media or {}
                    schema = media.get("schema") or {}
                    if (
                        "example" not in media
                        and "examples" not in media
                        and "example" not in schema
                    ):
                        problems.append(
                            Problem(
                                pointer(*at, "requestBody", "content", ctype),
                                "request body has no example",
                                "add example: {...} under the media type",
                            )
                        )
    return problems


def _ratelimit_rules(model: SpecModel) -> list[Problem]:
    """Warn when a rate-limited operation does not document what the limiter may answer."""
    if "ratelimit" not in model.plugins:
        return []
    config = model.ratelimit
    limited_by_default = bool(config.anonymous) or any(config.tiers.values())
    problems: list[Problem] = []
    for op in model.operations.values():
        if op.ratelimit.exempt or not (limited_by_default or op.ratelimit.policies):
            continue
        responses = op.raw.get("responses") or {}
        if "429" not in {str(code) for code in responses}:
            problems.append(
                Problem(
                    op.pointer + "/responses",
                    "rate-limited operation does not document 429",
                    "add '429': {$ref: '#/components/responses/TooManyRequests'}, "
                    "or x-specway-ratelimit: {exempt: true}",
                    Level.WARNING,
                )
            )
        if op.ratelimit.failure == "closed" and "503" not in {str(c) for c in responses}:
            problems.append(
                Problem(
                    op.pointer + "/responses",
                    "operation fails closed when the rate limiter is down but does not "
                    "document 503",
                    "add '503': {$ref: '#/components/responses/ServiceUnavailable'}",
                    Level.WARNING,
                )
            )
    return problems


def _envelope_rules(model: SpecModel) -> list[Problem]:
    """Warn when a success envelope would wrap a list page inside ``data``."""
    problems: list[Problem] = []
    for op in model.operations.values():
        if (
            op.envelope.style == "status-wrapped"
            and op.paginated
            and op.pagination.style != "status-wrapped"
        ):
            problems.append(
                Problem(
                    op.pointer,
                    f"the status-wrapped envelope puts this {op.pagination.style!r} list page "
                    "inside 'data'",
                    "use x-specway-pagination: {style: status-wrapped} for lists, or "
                    "x-specway-envelope: {style: none} on this operation",
                    Level.WARNING,
                )
            )
    return problems


def _with_file(problem: Problem, file: str) -> Problem:
    return Problem(problem.pointer, problem.message, problem.fix, problem.level, file)


__all__ = ["Level", "lint_document", "validate_document"]
