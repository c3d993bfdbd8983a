"""One GraphQL request over HTTP: parse, validate (with :mod:`.limits`), execute.

A request whose query does not parse, validate or stay within the limits, or that cannot run
at all (an unknown ``operationName``, variables of the wrong type), is answered 400 with
``errors`` and no ``data``, as ``application/graphql-response+json`` (GraphQL over HTTP's media
type for request errors); once execution starts the answer is 200 with ``data``, and
``errors`` for the fields that failed (graphql-core's ``ExecutionResult``). Every error carries
the request's id in ``extensions.request_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLError,
    MaxIntrospectionDepthRule,
    execute,
    parse,
    specified_rules,
    validate,
)
from graphql.pyutils import is_awaitable

from examples.hexabase.graph.limits import MAX_TOKENS, QueryLimitsRule
from examples.hexabase.graph.reads import Reads
from examples.hexabase.graph.schema import SCHEMA

RULES = (*specified_rules, MaxIntrospectionDepthRule, QueryLimitsRule)
REQUEST_ERROR = {"Content-Type": "application/graphql-response+json"}
# The operation declares two media types, so each answer names its own.
EXECUTED = {"Content-Type": "application/json"}
Answer = tuple[dict[str, Any], int, dict[str, str]]


def _errors(errors: Sequence[GraphQLError], request_id: str) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    for error in errors:
        formatted: dict[str, Any] = dict(error.formatted)
        formatted["extensions"] = {**(error.extensions or {}), "request_id": request_id}
        shown.append(formatted)
    return shown


def _refused(errors: Sequence[GraphQLError], request_id: str) -> Answer:
    return {"errors": _errors(errors, request_id)}, 400, REQUEST_ERROR


async def run(body: dict[str, Any], reads: Reads, request_id: str) -> Answer:
    """``(response body, status, headers)`` for the request ``{query, variables,
    operationName}``."""
    try:
        document = parse(body["query"], max_tokens=MAX_TOKENS)
    except GraphQLError as error:
        return _refused([error], request_id)
    problems = validate(SCHEMA, document, RULES)
    if problems:
        return _refused(problems, request_id)
    result = execute(
        SCHEMA,
        document,
        context_value=reads,
        variable_values=body.get("variables") or None,
        operation_name=body.get("operationName"),
    )
    if is_awaitable(result):
        result = await result
    assert isinstance(result, ExecutionResult)
    if result.data is None and result.errors:
        return _refused(result.errors, request_id)
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = _errors(result.errors, request_id)
    return answer, 200, EXECUTED
