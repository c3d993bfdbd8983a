"""Per-operation audit decisions, computed once at startup: action, target, what to keep.

Action names come from ``x-specway-audit`` or are derived from the operationId:
``createProject`` → ``project.created``, ``revokeApiKey`` → ``api_key.revoked``,
``login`` → ``auth.login``. The target type is the action's first part; the target id is the
operation's last path parameter, or the ``id`` of a created resource in the response body.

The document's ``x-specway-audit`` object (:class:`~specway.spec.extensions.AuditConfig`) may
spell actions ``project_created`` (``actions: snake``; the target type is then what precedes
the verb, ``variable`` for ``variable_created``) and log every read (``reads: all``) or a share
of them (``reads: sampled``, ``sample_rate``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from specway.errors import ConfigError
from specway.plugins.audit.redact import is_secret_name
from specway.spec import OperationModel, SpecModel
from specway.spec.extensions import AuditConfig
from specway.spec.problems import pointer

# Verbs whose past tense the regular rules get wrong, and operations that are a verb alone.
IRREGULAR_PAST = {
    "reset": "reset",
    "set": "set",
    "put": "put",
    "send": "sent",
    "resend": "resent",
    "run": "ran",
    "rerun": "reran",
    "stop": "stopped",
    "login": "logged_in",
    "logout": "logged_out",
    "signup": "signed_up",
    "upload": "uploaded",
    "get": "read",
    "read": "read",
    "show": "shown",
    "find": "found",
}
VERB_ONLY = {
    "login": "auth.login",
    "logout": "auth.logout",
    "signup": "auth.signup",
    "register": "auth.register",
    "refresh": "auth.refresh",
}
CREATING = (".created", ".added", ".imported", ".batch_created", ".bulk_created", ".registered")
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|[A-Z]+|\d+")
_PARAM = re.compile(r"\{([^}]+)\}")


def past_tense(verb: str) -> str:
    """``create`` → ``created``, ``copy`` → ``copied``, ``add`` → ``added``."""
    if verb in IRREGULAR_PAST:
        return IRREGULAR_PAST[verb]
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and len(verb) > 1 and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"


def singular(word: str) -> str:
    """A naive singular: ``policies`` → ``policy``, ``projects`` → ``project``."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def derive_action(operation_id: str, fallback_noun: str = "resource") -> str:
    """The audit action for an operationId without ``x-specway-audit``."""
    words = [w.lower() for w in _WORDS.findall(operation_id)]
    if not words:
        return f"{fallback_noun}.called"
    if len(words) == 1:
        return VERB_ONLY.get(words[0], f"{fallback_noun}.{past_tense(words[0])}")
    prefix = ""
    if words[0] in ("batch", "bulk") and len(words) > 2:
        prefix, words = words[0] + "_", words[1:]
    verb, noun = words[0], "_".join([*words[1:-1], singular(words[-1])])
    return f"{noun}.{prefix}{past_tense(verb)}"


def _snake_singular(tag: str) -> str:
    words = [w.lower() for w in re.findall(r"[A-Za-z0-9]+", tag)]
    return "_".join([*words[:-1], singular(words[-1])]) if words else "resource"


@dataclass(frozen=True, slots=True)
class AuditPlan:
    """What to record for one operation."""

    action: str
    target_type: str
    target_param: str | None
    parent_params: tuple[str, ...]
    keep_body: bool
    body_fields_only: bool
    id_from_response: bool
    # The share of calls recorded (reads under ``reads: sampled``); 1.0 records every call.
    sample_rate: float = 1.0


def audit_config(spec: SpecModel) -> AuditConfig:
    """The document's ``x-specway-audit`` object (defaults without one)."""
    return AuditConfig.of(spec.document.get("x-specway-audit"))


def build_plans(spec: SpecModel) -> dict[str, AuditPlan]:
    """One plan per audited operation: every mutating one, and reads that name an action."""
    config = audit_config(spec)
    plans: dict[str, AuditPlan] = {}
    for op in spec.operations.values():
        explicit = op.raw.get("x-specway-audit")
        if explicit is False or not (op.mutating or op.audit or config.reads != "named"):
            continue
        plan = plan_for(spec, op)
        if not op.mutating and not op.audit and config.reads == "sampled":
            plan = replace(plan, sample_rate=config.sample_rate)
        plans[op.operation_id] = plan
    return plans


def plan_for(spec: SpecModel, op: OperationModel) -> AuditPlan:
    """The plan for one operation (audited or not: auth failures use it too)."""
    if op.audit is not None and not isinstance(op.audit, str):
        where = pointer("paths", op.path, op.method, "x-specway-audit")
        raise ConfigError(
            f"{spec.file}#{where}: an operation's x-specway-audit is an action name or false "
            "(the object form belongs to the document)"
        )
    snake_actions = audit_config(spec).actions == "snake"
    action = op.audit or derive_action(op.operation_id, _snake_singular(op.tags[0]))
    if snake_actions:
        # A named snake action (``variable_created``) has its verb after the last underscore.
        dotted = "." in action
        target_type = action.split(".", 1)[0] if dotted else action.rsplit("_", 1)[0]
        action = action.replace(".", "_")
    else:
        target_type = action.split(".", 1)[0]
    params = _PARAM.findall(op.path)
    # A POST that creates something names its parent in the path; any other call (including a
    # POST action such as ``/api-keys/{key_id}/revoke``) acts on the last path parameter.
    creates = op.method == "post" and action.replace("_", ".").endswith(CREATING)
    target = params[-1] if params and not creates else None
    parents = tuple(p for p in params if p != target)
    secret_body = _has_secret_field(spec, _body_schema(spec, op))
    return AuditPlan(
        action=action,
        target_type=target_type,
        target_param=target,
        parent_params=parents,
        keep_body=op.mutating,
        body_fields_only=secret_body,
        id_from_response=target is None,
    )


def _body_schema(spec: SpecModel, op: OperationModel) -> Any:
    body = spec.resolve(op.raw.get("requestBody") or {})
    content = (body or {}).get("content") or {}
    for media, item in content.items():
        if "json" in media:
            return (item or {}).get("schema")
    return None


def _has_secret_field(spec: SpecModel, schema: Any, depth: int = 0) -> bool:
    """Whether any property, however nested, is named like a secret."""
    schema = spec.resolve(schema)
    if not isinstance(schema, dict) or depth > 10:
        return False
    for name, sub in (schema.get("properties") or {}).items():
        if is_secret_name(str(name)) or _has_secret_field(spec, sub, depth + 1):
            return True
    nested = [schema.get("items"), schema.get("additionalProperties")]
    for key in ("allOf", "oneOf", "anyOf"):
        nested.extend(schema.get(key) or [])
    return any(_has_secret_field(spec, s, depth + 1) for s in nested if isinstance(s, dict))
