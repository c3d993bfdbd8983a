"""A handler's keyword arguments, as Connexion's ``get_arguments`` builds them, planned once.

Connexion's ``get_arguments`` re-reads the operation on every request: it rebuilds the path and
query parameter definitions and their defaults, looks the body schema up twice (a new
``MediaTypeDict`` each time, the spec's components attached again), and sanitizes every name
with three regular expressions, twice. None of that depends on the request.
:class:`ArgumentPlan` does it at startup and per request applies the same steps in the same
order: path values cast by their definitions, query defaults merged under the query values
then cast, the body (or the schema's default body), then form files. It covers OpenAPI 3
operations; anything else (Swagger 2) goes to ``get_arguments`` itself.
"""

from __future__ import annotations

import functools
from copy import deepcopy
from typing import Any

from connexion.decorators.parameter import FORM_CONTENT_TYPES, get_arguments, sanitized
from connexion.operations import AbstractOperation, OpenAPIOperation
from connexion.utils import deep_merge, is_null, is_nullable

from specway.compat import body_argument, file_arguments, param_value, query_defaults

# Names come from the spec and from clients (query keys): memoised, but bounded.
sanitize = functools.lru_cache(maxsize=1024)(sanitized)
_MEMO_MAX = 64  # body names and schemas memoised per content type (client input): bounded
_UNSET: Any = object()


class ArgumentPlan:
    """``plan(path_params, query_params, body, files, content_type)``: the handler's kwargs."""

    def __init__(
        self, operation: AbstractOperation, arguments: list[str], has_kwargs: bool
    ) -> None:
        self._operation = operation
        self._arguments = arguments
        self._has_kwargs = has_kwargs
        self._openapi = isinstance(operation, OpenAPIOperation)
        self._trace = operation.method.upper() == "TRACE"
        parameters = operation.parameters
        self._path = {p["name"]: p for p in parameters if p["in"] == "path"}
        self._query = {p["name"]: p for p in parameters if p["in"] == "query"}
        self._query_defaults = query_defaults(self._query)
        # Defaults are copied per request (handlers may change what they get): a shallow copy
        # is the same as Connexion's deepcopy when no default holds a container.
        self._copy_defaults: Any = (
            deepcopy
            if any(isinstance(v, dict | list) for v in self._query_defaults.values())
            else dict
        )
        self._body = bool(arguments or has_kwargs) and bool(operation.is_request_body_defined)
        self._body_schemas: dict[str | None, dict[str, Any]] = {}
        self._body_names: dict[str | None, str | None] = {}

    def __call__(
        self,
        path_params: dict[str, Any],
        query_params: dict[str, Any],
        body: Any,
        files: Any,
        content_type: str,
    ) -> dict[str, Any]:
        if not self._openapi:
            legacy: dict[str, Any] = get_arguments(
                self._operation,
                path_params=path_params,
                query_params=query_params,
                body=body,
                files=files,
                arguments=self._arguments,
                has_kwargs=self._has_kwargs,
                sanitize=sanitize,
                content_type=content_type,
            )
            return {sanitize(k): v for k, v in legacy.items()}
        found: dict[str, Any] = {}
        path = self._path
        for name, value in path_params.items():
            definition = path.get(name)
            found[sanitize(name)] = value if definition is None else param_value(value, definition)
        found.update(self._query_arguments(query_params))
        if self._trace:  # TRACE requests carry no body (RFC 7231, 4.3.8)
            return found
        if self._body:
            found.update(self._body_argument(body, content_type))
        if files:  # form fields by their own names, sanitized as Connexion's decorator does
            schema = self._body_schema(content_type)
            for key, value in file_arguments(
                files, self._arguments, schema, self._has_kwargs
            ).items():
                found[sanitize(key)] = value
        return found

    def _query_arguments(self, query_params: dict[str, Any]) -> dict[str, Any]:
        values = query_params
        if self._query_defaults:
            values = deep_merge(self._copy_defaults(self._query_defaults), query_params)
        result: dict[str, Any] = {}
        definitions = self._query
        for key, value in values.items():
            name = sanitize(key)
            if not self._has_kwargs and name not in self._arguments:
                continue
            definition = definitions.get(key)
            if definition is not None:  # a handler argument the spec doesn't define: left out
                result[name] = param_value(value, definition)
        return result

    def _body_argument(self, body: Any, content_type: str) -> dict[str, Any]:
        if content_type in FORM_CONTENT_TYPES:
            result: dict[str, Any] = body_argument(
                body,
                operation=self._operation,
                arguments=self._arguments,
                has_kwargs=self._has_kwargs,
                sanitize=sanitize,
                content_type=content_type,
            )
            return result
        name = self.body_name(content_type)
        if name is None:
            return {}
        schema = self._body_schema(content_type)
        if is_nullable(schema) and is_null(body):
            return {name: None}
        if body is None:
            return {name: deepcopy(schema.get("default", {}))}
        return {name: body}

    def body_name(self, content_type: str | None) -> str | None:
        """The handler's argument for a body sent as ``content_type``; ``None``: it takes none
        (then the body need not even be read)."""
        name = self._body_names.get(content_type, _UNSET)
        if name is _UNSET:
            sanitized_name = sanitize(self._operation.body_name(content_type))
            wanted = self._has_kwargs or sanitized_name in self._arguments
            name = sanitized_name if wanted else None
            if len(self._body_names) < _MEMO_MAX:
                self._body_names[content_type] = name
        result: str | None = name
        return result

    def _body_schema(self, content_type: str | None) -> dict[str, Any]:
        schema = self._body_schemas.get(content_type)
        if schema is None:
            schema = self._operation.body_schema(content_type)
            if len(self._body_schemas) < _MEMO_MAX:
                self._body_schemas[content_type] = schema
        return schema
