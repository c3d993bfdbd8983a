"""Project configuration: JSON Merge Patch (RFC 7396) and validation of the result.

The schema is the spec's ``ProjectConfig``; on top of it, ``scaling.min_instances`` may not
exceed ``scaling.max_instances``. Every problem is reported with the field it concerns.
"""

from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft4Validator, ValidationError
from jsonschema.validators import validator_for

from specway.errors import BadRequest
from specway.spec import SpecModel
from specway.spec.dialect import is_oas31, standalone_schema


def config_schema(spec: SpecModel) -> dict[str, Any]:
    """The spec's ``ProjectConfig`` as a self-contained schema: the components it refers to
    travel with it, so a ``$ref`` inside it resolves (a 3.1 document's as JSON Schema 2020-12,
    a 3.0 document's as draft 4, which its ``$schema``-less root selects)."""
    schema = spec.resolve({"$ref": "#/components/schemas/ProjectConfig"})
    if is_oas31(spec.document):
        return standalone_schema(spec.document, schema)
    return {**schema, "components": spec.document.get("components") or {}}


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply ``patch`` to ``target`` per RFC 7396 (returns a new value, inputs untouched).

    ``null`` deletes a member, objects merge recursively, anything else replaces.
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _field(error: ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    schema = error.schema
    if (
        error.validator == "additionalProperties"
        and isinstance(error.instance, dict)
        and isinstance(schema, dict)
    ):
        allowed = set(schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            parts.append(extra[0])
    return ".".join(parts)


def config_problems(config: Any, schema: dict[str, Any]) -> list[dict[str, str]]:
    """Every way ``config`` breaks ``schema`` or the scaling rule, as ``{field, in, reason}``."""
    problems = [
        {"field": _field(e), "in": "body", "reason": e.message}
        for e in sorted(
            validator_for(schema, default=Draft4Validator)(schema).iter_errors(config),
            key=lambda e: list(map(str, e.path)),
        )
    ]
    scaling = config.get("scaling") if isinstance(config, dict) else None
    if isinstance(scaling, dict):
        low, high = scaling.get("min_instances"), scaling.get("max_instances")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            problems.append(
                {
                    "field": "scaling.min_instances",
                    "in": "body",
                    "reason": f"min_instances ({low}) must not exceed max_instances ({high})",
                }
            )
    return problems


def validated_config(config: Any, schema: dict[str, Any], *, prefix: str = "") -> dict[str, Any]:
    """``config`` if valid, else :class:`BadRequest` naming each failing field."""
    problems = config_problems(config, schema)
    if not problems and not isinstance(config, dict):
        problems = [{"field": "", "in": "body", "reason": "the configuration must be an object"}]
    if problems:
        for problem in problems:
            problem["field"] = ".".join(p for p in (prefix, problem["field"]) if p)
        first = problems[0]
        raise BadRequest(f"Invalid '{first['field']}': {first['reason']}", details=problems)
    return dict(config)
