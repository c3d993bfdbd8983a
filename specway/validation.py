"""Request validation with each operation's validators built once, at startup.

Connexion's ``RequestValidationOperation`` builds two URI parsers, a parameter validator and a
body validator (which compiles the body's JSON Schema) for every request. They depend only on
the operation and the request's media type, and hold no per-request state, so
:class:`PreparedValidationOperation` builds them once (the body validator once per media type
and encoding) and runs the same checks, with the same errors, in the same order.

For an OpenAPI 3.1 document Connexion holds the 3.0 view (``specway.spec.oas30_view``); the
JSON body and parameter validators get the document's own schemas instead
(:class:`specway.operation_schemas.OperationSchemas`, ``$schema``: 2020-12), so type arrays,
``const``, ``prefixItems``, ``unevaluatedProperties`` and ``$ref`` with siblings validate as
JSON Schema 2020-12 says. Form bodies are parsed and checked by the view's schemas.
"""

from __future__ import annotations

import logging
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import UnsupportedMediaTypeProblem
from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationMiddleware,
    RequestValidationOperation,
)
from connexion.operations import AbstractOperation
from connexion.utils import is_json_mimetype, is_nullable, split_content_type

from specway import compat
from specway.operation_schemas import OperationSchemas
from specway.types import ASGIApp, Receive, Scope, Send, header_content_type

logger = logging.getLogger("specway.validation")


class PreparedValidationOperation(RequestValidationOperation):  # type: ignore[misc]
    """Connexion's request validation of one operation, its validators built at startup."""

    def __init__(
        self,
        next_app: ASGIApp,
        *,
        operation: AbstractOperation,
        strict_validation: bool = False,
        validator_map: dict[str, Any] | None = None,
        json_schemas: OperationSchemas | None = None,
    ) -> None:
        super().__init__(
            next_app,
            operation=operation,
            strict_validation=strict_validation,
            validator_map=validator_map,
        )
        self.operation = operation
        self.validators = compat.validator_map(self)
        self._uri_parser = operation.uri_parser_class(
            operation.parameters, operation.body_definition()
        )
        self._json_schemas = json_schemas
        parameters = operation.parameters
        if json_schemas is not None:
            parameters = [json_schemas.parameter(p) for p in parameters]
        self._parameter_validator = self.validators["parameter"](
            parameters,
            uri_parser=self._uri_parser,
            strict_validation=strict_validation,
            security_query_params=self.security_query_params,
        )
        consumes = operation.consumes
        self._consumes = MediaTypeDict([(c.lower(), None) for c in consumes]) if consumes else None
        self._accepted: dict[str, bool] = {}
        self._body_validators: dict[tuple[str, str], Any] = {}

    def validate_mime_type(self, mime_type: str) -> None:
        if self._consumes is None:
            return
        accepted = self._accepted.get(mime_type)
        if accepted is None:
            accepted = mime_type.lower() in self._consumes
            if len(self._accepted) < 64:  # media types are client input: the memo is bounded
                self._accepted[mime_type] = accepted
        if not accepted:
            raise UnsupportedMediaTypeProblem(
                detail=f"Invalid Content-type ({mime_type}), expected {self.operation.consumes}"
            )

    def _body_validator(self, mime_type: str, encoding: str) -> Any:
        """The body validator for this media type, or ``None`` when the body isn't checked."""
        key = (mime_type, encoding)
        if key in self._body_validators:
            return self._body_validators[key]
        validator: Any = None
        schema = self.operation.body_schema(mime_type)
        if schema and self._json_schemas is not None and is_json_mimetype(mime_type):
            schema = self._json_schemas.body_schema(mime_type) or schema
        if schema:
            try:
                validator_cls = self.validators["body"][mime_type]
            except KeyError:
                logger.info("Skipping validation. No validator registered for %s.", mime_type)
            else:
                validator = validator_cls(
                    schema=schema,
                    required=self.operation.request_body.get("required", False),
                    nullable=is_nullable(self.operation.body_definition(mime_type)),
                    encoding=encoding,
                    strict_validation=self.strict_validation,
                    uri_parser=self._uri_parser,
                )
        if len(self._body_validators) < 64:
            self._body_validators[key] = validator
        return validator

    def extract_content_type(self, headers: list[tuple[bytes, bytes]]) -> tuple[str, str]:
        """Connexion's method, with :func:`specway.types.header_content_type`."""
        mime_type, encoding = split_content_type(header_content_type(headers))
        if mime_type is None:
            # Content-type header is not required. Take a best guess.
            consumes = self.operation.consumes
            mime_type = consumes[0] if consumes else "application/octet-stream"
        return mime_type, encoding or "utf-8"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._parameter_validator.validate(scope)
        mime_type, encoding = self.extract_content_type(scope["headers"])
        self.validate_mime_type(mime_type)
        validator = self._body_validator(mime_type, encoding)
        if validator is not None:
            receive, scope = await validator.wrap_receive(receive, scope=scope)
        await self.next_app(scope, receive, send)


class PreparedValidationAPI(RequestValidationAPI):  # type: ignore[misc]
    """``json_schema_document``: the OpenAPI 3.1 document Connexion got the 3.0 view of."""

    def __init__(
        self, *args: Any, json_schema_document: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        self.json_schema_document = json_schema_document  # read by add_paths, in super()
        super().__init__(*args, **kwargs)

    def make_operation(self, operation: AbstractOperation) -> PreparedValidationOperation:
        document = self.json_schema_document
        return PreparedValidationOperation(
            self.next_app,
            operation=operation,
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
            json_schemas=(
                OperationSchemas(document, operation.path, operation.method)
                if document is not None
                else None
            ),
        )


class PreparedValidationMiddleware(RequestValidationMiddleware):  # type: ignore[misc]
    """Connexion's request validation with :class:`PreparedValidationOperation`."""

    api_cls = PreparedValidationAPI
