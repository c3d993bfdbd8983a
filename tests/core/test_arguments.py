"""``ArgumentPlan`` gives a handler exactly the arguments Connexion's ``get_arguments`` gives."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from connexion.decorators.parameter import get_arguments, sanitized
from connexion.operations import OpenAPIOperation
from connexion.resolver import Resolver
from connexion.spec import Specification
from starlette.datastructures import FormData

from specway.arguments import ArgumentPlan

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "arguments", "version": "1"},
    "paths": {
        "/things/{thing_id}/{count}": {
            "parameters": [
                {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "count", "in": "path", "required": True, "schema": {"type": "integer"}},
            ],
            "post": {
                "operationId": "things",
                "parameters": [
                    {"name": "page", "in": "query", "schema": {"type": "integer", "default": 1}},
                    {"name": "ratio", "in": "query", "schema": {"type": "number"}},
                    {"name": "flag", "in": "query", "schema": {"type": "boolean"}},
                    {
                        "name": "tags",
                        "in": "query",
                        "schema": {"type": "array", "items": {"type": "integer"}},
                    },
                    {
                        "name": "filter",
                        "in": "query",
                        "style": "deepObject",
                        "explode": True,
                        "schema": {
                            "type": "object",
                            "properties": {
                                "a": {"type": "string", "default": "x"},
                                "b": {"type": "string"},
                            },
                        },
                    },
                    {
                        "name": "maybe",
                        "in": "query",
                        "schema": {"type": "string", "nullable": True},
                    },
                    {"name": "sort-by", "in": "query", "schema": {"type": "string"}},
                    {"name": "class", "in": "query", "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "x-body-name": "payload",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "nullable": True,
                                "default": {"d": [1]},
                            }
                        },
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "files": {"type": "array", "items": {"type": "string"}},
                                    "one": {"type": "string"},
                                },
                            }
                        },
                    },
                },
                "responses": {"200": {"description": "ok"}},
            },
        },
        "/plain": {
            "get": {
                "operationId": "plain",
                "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}},
            },
            "put": {
                "operationId": "put_plain",
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"type": "object", "default": {"d": [1]}}}
                    },
                },
                "responses": {"200": {"description": "ok"}},
            },
        },
    },
}


def _operation(path: str, method: str) -> OpenAPIOperation:
    spec = Specification.from_dict(copy.deepcopy(SPEC))
    return OpenAPIOperation.from_spec(
        spec, path=path, method=method, resolver=Resolver(lambda _: lambda: None)
    )


HANDLERS: dict[str, tuple[list[str], bool]] = {
    "all named": (
        [
            "thing_id",
            "count",
            "page",
            "ratio",
            "flag",
            "tags",
            "filter",
            "maybe",
            "sortby",
            "payload",
            "files",
            "one",
        ],
        False,
    ),
    "some named": (["thing_id", "page", "payload"], False),
    "kwargs": (["thing_id"], True),
    "none": ([], False),
}
REQUESTS: dict[str, dict[str, Any]] = {
    "defaults only": {"query": {}, "body": None, "type": "application/json"},
    "every query value": {
        "query": {
            "page": "3",
            "ratio": "2.5",
            "flag": "true",
            "tags": ["1", "2"],
            "filter": {"b": "y"},
            "maybe": "null",
            "sort-by": "name",
            "class": "c",
            "undeclared": "u",
        },
        "body": {"name": "n"},
        "type": "application/json",
    },
    "deep object overrides the default": {
        "query": {"filter": {"a": "given"}},
        "body": {},
        "type": "application/json",
    },
    "null body": {"query": {}, "body": "null", "type": "application/json"},
    "form": {
        "query": {},
        "body": {"one": "1"},
        "files": FormData([("files", "f1"), ("files", "f2"), ("one", "1")]),
        "type": "multipart/form-data",
    },
}


@pytest.mark.parametrize("handler", HANDLERS)
@pytest.mark.parametrize("request_name", REQUESTS)
def test_same_arguments_as_connexion(handler: str, request_name: str) -> None:
    arguments, has_kwargs = HANDLERS[handler]
    request = REQUESTS[request_name]
    files = request.get("files", {})

    def both(call: Callable[[OpenAPIOperation], dict[str, Any]]) -> tuple[Any, Any]:
        # Fresh operations and inputs each side: neither may see what the other changed.
        return call(_operation("/things/{thing_id}/{count}", "post")), call(
            _operation("/things/{thing_id}/{count}", "post")
        )

    def connexion(operation: OpenAPIOperation) -> dict[str, Any]:
        found = get_arguments(
            operation,
            path_params={"thing_id": "t1", "count": "7"},
            query_params=copy.deepcopy(request["query"]),
            body=copy.deepcopy(request["body"]),
            files=files,
            arguments=arguments,
            has_kwargs=has_kwargs,
            sanitize=sanitized,
            content_type=request["type"],
        )
        return {sanitized(k): v for k, v in found.items()}

    def planned(operation: OpenAPIOperation) -> dict[str, Any]:
        plan = ArgumentPlan(operation, arguments, has_kwargs)
        first = plan(
            {"thing_id": "t1", "count": "7"},
            copy.deepcopy(request["query"]),
            copy.deepcopy(request["body"]),
            files,
            request["type"],
        )
        again = plan(  # memoised schemas and defaults: a second request is served alike
            {"thing_id": "t1", "count": "7"},
            copy.deepcopy(request["query"]),
            copy.deepcopy(request["body"]),
            files,
            request["type"],
        )
        assert again == first
        return first

    expected = connexion(_operation("/things/{thing_id}/{count}", "post"))
    assert planned(_operation("/things/{thing_id}/{count}", "post")) == expected
    assert both(planned)[0] == expected


def test_defaults_are_fresh_for_every_request() -> None:
    """A handler changing its default body or default query object doesn't change the next."""
    things = ArgumentPlan(_operation("/things/{thing_id}/{count}", "post"), ["filter"], False)
    plain = ArgumentPlan(_operation("/plain", "put"), ["body"], False)
    first = things({}, {}, None, {}, "application/json")
    assert first == {"filter": {"a": "x"}}
    first["filter"]["a"] = "changed"
    assert things({}, {}, None, {}, "application/json") == {"filter": {"a": "x"}}
    body = plain({}, {}, None, {}, "application/json")
    assert body == {"body": {"d": [1]}}
    body["body"]["d"].append(2)
    assert plain({}, {}, None, {}, "application/json") == {"body": {"d": [1]}}


@pytest.mark.parametrize(
    ("method", "arguments", "query", "body", "expected"),
    [
        ("get", ["q"], {"q": "x"}, None, {"q": "x"}),
        ("get", [], {"q": "x"}, None, {}),
        ("put", ["body"], {}, {"k": 1}, {"body": {"k": 1}}),
        ("put", ["body"], {}, None, {"body": {"d": [1]}}),  # the schema's default body
    ],
)
def test_operations_without_path_parameters(
    method: str, arguments: list[str], query: dict[str, Any], body: Any, expected: dict[str, Any]
) -> None:
    operation = _operation("/plain", method)
    found = ArgumentPlan(operation, arguments, False)({}, query, body, {}, "application/json")
    assert found == expected
    assert found == get_arguments(
        _operation("/plain", method),
        path_params={},
        query_params=query,
        body=body,
        files={},
        arguments=arguments,
        has_kwargs=False,
        sanitize=sanitized,
        content_type="application/json",
    )
