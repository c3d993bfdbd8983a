"""Per-operation audit decisions, computed once at startup: action, target, what to keep.

Action names come from ``x-specway-audit`` or are derived from the operationId:
``createProject`` → ``project.created``, ``revokeApiKey`` → ``api_key.revoked``,
``login`` → ``auth.login``. The target type is the action's first part; the target id is the
operation's last path parameter, or the ``id`` of a created resource in the response body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from specway.plugins.audit.redact import is_secret_name
from specway.spec import OperationModel, SpecModel

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


def build_plans(spec: SpecModel) -> dict[str, AuditPlan]:
    """One plan per audited operation: every mutating one, and reads that name an action."""
    plans: dict[str, AuditPlan] = {}
    for op in spec.operations.values():
        explicit = op.raw.get("x-specway-audit")
        if explicit is False or not (op.mutating or op.audit):
            continue
        plans[op.operation_id] = plan_for(spec, op)
    return plans


def plan_for(spec: SpecModel, op: OperationModel) -> AuditPlan:
    """The plan for one operation (audited or not: auth failures use it too)."""
    action = op.audit or derive_action(op.operation_id, _snake_singular(op.tags[0]))
    params = _PARAM.findall(op.path)
    # A POST that creates something names its parent in the path; any other call (including a
    # POST action such as ``/api-keys/{key_id}/revoke``) acts on the last path parameter.
    creates = op.method == "post" and action.endswith(CREATING)
    target = params[-1] if params and not creates else None
    parents = tuple(p for p in params if p != target)
    secret_body = _has_secret_field(spec, _body_schema(spec, op))
    return AuditPlan(
        action=action,
        target_type=action.split(".", 1)[0],
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
