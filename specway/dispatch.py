"""The innermost app: each operation's handler call, prepared once at startup.

Connexion's ``AsyncOperation`` builds a new decorator chain for every request (a
``StarletteDecorator``, ``inspect.signature`` of the handler, ``functools.wraps`` three times)
and reads the operation through werkzeug context proxies. The work only depends on the
operation, so :class:`CompiledOperation` does it once: the handler's argument names, the URI
parser, the produced content types, the argument plan. Per request it builds the request,
gathers the arguments as Connexion's own ``get_arguments`` would (``specway.arguments``: the same
coercion, defaults and body naming) and turns the handler's return value into a response
exactly as Connexion's response decorator does.
"""

from __future__ import annotations

import asyncio
import collections.abc
import types
from typing import Any

from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp
from connexion.context import context as connexion_context
from connexion.decorators.parameter import unwrap_decorators
from connexion.decorators.response import AsyncResponseDecorator
from connexion.exceptions import NonConformingResponseHeaders
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.jsonifier import Jsonifier
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.operations import AbstractOperation
from connexion.utils import inspect_function_arguments
from starlette.concurrency import run_in_threadpool

from specway.arguments import ArgumentPlan
from specway.types import SCOPE_JSON_BODY, Receive, Scope, Send, header_content_type

_CONTEXT_NAME = "context_"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class _Responder(AsyncResponseDecorator):  # type: ignore[misc]
    """Connexion's response building, with the operation's content types bound at startup."""

    def __init__(self, produces: list[str], jsonifier: Jsonifier) -> None:
        super().__init__(framework=StarletteFramework, jsonifier=jsonifier)
        self.produces = produces

    def _infer_content_type(self, data: Any, headers: dict[str, Any]) -> str | None:
        content_type = header_content_type(headers) if headers else None
        produces = self.produces
        if data is not None and not produces:
            produces = ["application/json"]
        if content_type:
            if content_type not in produces:
                raise NonConformingResponseHeaders(
                    f"Returned content type ({content_type}) is not defined in operation spec "
                    f"({self.produces})."
                )
            return content_type
        if len(produces) == 1:
            return produces[0]
        if not produces:
            return None
        if isinstance(data, str):
            content_type = next((p for p in produces if "text/plain" in p), None)
        elif isinstance(data, bytes | types.GeneratorType | collections.abc.Iterator):
            content_type = next((p for p in produces if "application/octet-stream" in p), None)
        if content_type is None:
            raise NonConformingResponseHeaders(
                "Multiple response content types are defined in the operation spec, but "
                "the handler response did not specify which one to return."
            )
        return content_type


class CompiledOperation:
    """Calls one operation's handler; everything that depends only on the operation is ready."""

    def __init__(self, operation: AbstractOperation, jsonifier: Jsonifier) -> None:
        self.operation = operation
        self.operation_id: str = operation.operation_id
        function = operation.function
        self._function = function
        self._is_async = asyncio.iscoroutinefunction(unwrap_decorators(function))
        arguments, has_kwargs = inspect_function_arguments(unwrap_decorators(function))
        self._arguments: list[str] = list(arguments)
        self._has_kwargs: bool = has_kwargs
        self._plan = ArgumentPlan(operation, self._arguments, has_kwargs)
        self._uri_parser = operation.uri_parser_class(
            operation.parameters, operation.body_definition()
        )
        self._responder = _Responder(sorted(set(operation.produces)), jsonifier)
        # Without a requestBody, Connexion passes no body argument: never read or parse one.
        self._has_body: bool = bool(operation.is_request_body_defined)

    async def _kwargs(self, request: ConnexionRequest, scope: Scope) -> dict[str, Any]:
        if not self._has_body:
            # No body to read; the content type only picks a body schema, and there is none.
            return self._found(request, None, {}, "application/json")
        body: Any = None
        if self._plan.body_name(request.content_type) is not None:
            # Validation already parsed a JSON body (specway.validation); don't parse it again.
            body = scope.get(SCOPE_JSON_BODY)
            if body is None:
                body = request.get_body()
                while asyncio.iscoroutine(body):
                    body = await body
        mimetype = request.mimetype
        files = await request.files() if mimetype in _FORM_TYPES else {}
        return self._found(request, body, files, mimetype)

    def _found(
        self, request: ConnexionRequest, body: Any, files: Any, mimetype: str
    ) -> dict[str, Any]:
        kwargs = self._plan(request.path_params, request.query_params, body, files, mimetype)
        for key, value in connexion_context.items():
            if self._has_kwargs or key in self._arguments:
                kwargs[key] = value
        if _CONTEXT_NAME in self._arguments:
            kwargs[_CONTEXT_NAME] = connexion_context
        return kwargs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = ConnexionRequest(scope, receive, uri_parser=self._uri_parser)
        kwargs = await self._kwargs(request, scope)
        if self._is_async:
            result = await self._function(**kwargs)
        else:
            result = await run_in_threadpool(self._function, **kwargs)
        if StarletteFramework.is_framework_response(result):
            response = result
        elif isinstance(result, ConnexionResponse):
            response = StarletteFramework.connexion_to_framework_response(result)
        else:
            response = self._responder.build_framework_response(result)
        await response(scope, receive, send)


class CompiledApi(AsyncApi):  # type: ignore[misc]
    def make_operation(self, operation: AbstractOperation) -> CompiledOperation:
        return CompiledOperation(operation, self.jsonifier)


class CompiledASGIApp(AsyncASGIApp):  # type: ignore[misc]
    """Connexion's inner app with :class:`CompiledOperation` instead of ``AsyncOperation``."""

    api_cls = CompiledApi
