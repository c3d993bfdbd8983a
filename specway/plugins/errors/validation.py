"""Request validators that report *every* failing field, plugged into Connexion's
``validator_map``. Each problem becomes ``{"field", "in", "reason"}`` in the error's details.

A NUL character is refused in every string of a JSON body (keys included), a query parameter
or a path parameter: PostgreSQL's text and JSONB cannot store one, so it would otherwise reach
the database and come back as a 500, and no shell or C library reads it back either.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import jsonschema_rs
import orjson
from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.lifecycle import ConnexionRequest
from connexion.utils import is_null, is_nullable
from connexion.validators import (
    FormDataValidator,
    JSONRequestBodyValidator,
    MultiPartFormDataValidator,
    ParameterValidator,
)
from jsonschema import Draft4Validator, ValidationError
from jsonschema.validators import validator_for
from starlette.datastructures import QueryParams
from starlette.formparsers import MultiPartException

from specway.types import SCOPE_JSON_BODY

_REQUIRED = re.compile(r"^'(.+)' is a required property$")
NUL_REASON = "contains a NUL character"


class RequestValidationProblem(BadRequestProblem):  # type: ignore[misc]
    """A 400 whose details list each failing field."""

    def __init__(self, details: list[dict[str, str]]) -> None:
        first = details[0]
        where = f" '{first['field']}'" if first.get("field") else ""
        super().__init__(detail=f"Invalid{where}: {first['reason']}")
        self.details = details


def _field(error: ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        match = _REQUIRED.match(error.message)
        if match:
            parts.append(match.group(1))
    return ".".join(parts)


def _secret(error: ValidationError) -> bool:
    """Whether the failing value is a secret: its schema is ``writeOnly`` or a password."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    return bool(schema.get("writeOnly")) or schema.get("format") == "password"


def _reason(error: ValidationError) -> str:
    if error.validator == "required":
        return "required"
    if _secret(error):
        # jsonschema quotes the instance ("'…' is too long"); a secret must never be echoed.
        return f"does not satisfy {error.validator} {error.validator_value!r}"
    message = str(error.message)
    return message if len(message) <= 200 else message[:197] + "..."


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    seen: set[str] = set()
    for key, _ in pairs:  # there is a repeated key: name the first one
        if key in seen:
            raise _DuplicateKey(key)
        seen.add(key)
    raise AssertionError("unreachable: fewer keys than pairs means a repeated key")


# One decoder for every body: json.loads with a hook builds a decoder and its scanner per call.
_PAIRS_DECODER = json.JSONDecoder(object_pairs_hook=_reject_duplicates)


def duplicate_key(body: bytes) -> str | None:
    """The first key repeated within one JSON object of ``body`` (already valid JSON), if any.

    Parsers disagree on ``{"a": 1, "a": 2}`` (first wins, last wins, error), so a body that
    means one thing to the gateway and another to a downstream service is refused (400).
    orjson cannot report duplicates; the standard library's pairs hook can (a second parse,
    bounded by the body size limit); bodies without any object skip it.
    """
    if b"{" not in body:
        return None
    try:
        # orjson has parsed it already, so it is UTF-8 (orjson reads nothing else).
        _PAIRS_DECODER.decode(body.decode("utf-8"))
    except _DuplicateKey as exc:
        return exc.key
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None  # orjson accepted it; nothing more to say here
    return None


def nul_field(document: Any) -> str | None:
    """The dotted path of the first string (or key) of ``document`` holding a NUL, if any.

    Iterative: a body may nest as deep as the JSON parser allows.
    """
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if "\x00" in key:
                    return child.replace("\x00", "\\u0000")
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), v) for i, v in enumerate(value))
    return None


def _nul_in_parameters(request: ConnexionRequest) -> list[dict[str, str]]:
    """A detail per query or path parameter holding a NUL (``%00`` in the URL)."""
    found: list[dict[str, str]] = []
    query: bytes = request.scope.get("query_string") or b""
    if b"%00" in query or b"\x00" in query:
        names = {k for k, v in QueryParams(query).multi_items() if "\x00" in k or "\x00" in v}
        found += [
            {"field": name.replace("\x00", "\\u0000"), "in": "query", "reason": NUL_REASON}
            for name in sorted(names)
        ]
    if "\x00" in request.scope.get("path", ""):
        for name, value in request.path_params.items():
            if "\x00" in str(value):
                found.append({"field": name, "in": "path", "reason": NUL_REASON})
    return found


def python_validator(schema: Any, default: Any) -> Any:
    """A jsonschema validator for ``schema`` checking formats: the draft its ``$schema`` names
    (OpenAPI 3.1 schemas say 2020-12), else ``default`` (OpenAPI 3.0: draft 4 + nullable)."""
    cls = validator_for(schema, default=default) if isinstance(schema, dict) else default
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


class JSONBodyValidator(JSONRequestBodyValidator):  # type: ignore[misc]
    """JSON body validation with every error listed; parses with orjson.

    Instances live as long as their operation (``specway.validation``), so the compiled schema
    validator is built once instead of on every request. It overrides Connexion's private hooks
    ``_parse``, ``_validate`` and ``_validator`` (listed in ``specway.compat.PRIVATE_OVERRIDES``)
    and keeps what it needs of its arguments under its own names.
    """

    def __init__(
        self, *, schema: Any, required: bool = False, nullable: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(schema=schema, required=required, nullable=nullable, **kwargs)
        self.schema = schema
        # No body is fine where the operation's body is optional or nullable.
        self.empty_allowed = nullable or not required

    @functools.cached_property
    def _validator(self) -> Any:
        return python_validator(self.schema, Draft4RequestValidator)

    @functools.cached_property
    def _fast(self) -> Any:
        """The schema compiled by jsonschema-rs, or ``None`` if it cannot take it.

        It only answers "valid?". It is at least as strict as the Python validator (it knows
        no ``nullable`` and checks every format it knows), so a body it accepts is valid, and
        a body it refuses goes to the Python validator, whose verdict and error list stand.
        """
        try:
            if "$schema" in self.schema:  # an OpenAPI 3.1 schema: the draft it names
                return jsonschema_rs.validator_for(self.schema, validate_formats=True)
            return jsonschema_rs.Draft4Validator(self.schema, validate_formats=True)
        except Exception:  # a schema it cannot compile: the Python validator alone
            return None

    async def _parse(self, stream: Any, scope: Any) -> Any:
        body = b"".join([message async for message in stream])
        if not body.strip():
            return None
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise RequestValidationProblem(
                [{"field": "", "in": "body", "reason": f"malformed JSON: {exc}"}]
            ) from exc
        duplicate = duplicate_key(body)
        if duplicate is not None:
            raise RequestValidationProblem(
                [{"field": duplicate, "in": "body", "reason": "duplicate key in a JSON object"}]
            )
        # JSON can only carry a NUL escaped; a body without the escape needs no walk.
        if b"\\u0000" in body:
            where = nul_field(parsed)
            if where is not None:
                detail = {"field": where, "in": "body", "reason": NUL_REASON}
                raise RequestValidationProblem([detail])
        scope[SCOPE_JSON_BODY] = parsed
        return parsed

    def _validate(self, body: Any) -> Any:
        if body is None:
            # No body: fine where the operation's body is optional (``required: false``, the
            # default) or nullable; Connexion would validate ``None`` against the schema.
            if self.empty_allowed:
                return None
            raise RequestValidationProblem(
                [{"field": "", "in": "body", "reason": "request body must not be empty"}]
            )
        fast = self._fast
        if fast is not None and fast.is_valid(body):
            return None
        errors = sorted(
            self._validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path))
        )
        if errors:
            raise RequestValidationProblem(
                [{"field": _field(e), "in": "body", "reason": _reason(e)} for e in errors]
            )
        return None


class ParametersValidator(ParameterValidator):  # type: ignore[misc]
    """Parameter validation with every failing parameter listed.

    Each parameter's schema validator is compiled on first use and kept (Connexion deep-copies
    the parameter and compiles a new validator for every value it checks).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keyed by the parameter dict's id: those dicts live as long as this validator.
        self._compiled: dict[int, Any] = {}

    def validate_parameter(
        self, parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        if is_nullable(param) and is_null(value):
            return None
        if value is None:
            if param.get("required"):
                return f"Missing {parameter_type} parameter '{param['name']}'"
            return None
        validator = self._compiled.get(id(param))
        if validator is None:
            validator = python_validator(param.get("schema", param), Draft4Validator)
            self._compiled[id(param)] = validator
        try:
            validator.validate(value)
        except ValidationError as exception:
            return str(exception)
        return None

    def validate_request(self, request: ConnexionRequest) -> None:
        nul = _nul_in_parameters(request)
        if nul:
            raise RequestValidationProblem(nul)
        if self.strict_validation:
            extra = self.validate_query_parameter_list(
                request, security_params=self.security_query_params
            )
            if extra:
                raise RequestValidationProblem(
                    [
                        {"field": name, "in": "query", "reason": "unknown parameter"}
                        for name in sorted(extra)
                    ]
                )
        details: list[dict[str, str]] = []
        checks = (
            ("query", self.validate_query_parameter),
            ("path", self.validate_path_parameter),
            ("header", self.validate_header_parameter),
            ("cookie", self.validate_cookie_parameter),
        )
        for where, check in checks:
            for param in self.parameters.get(where, []):
                error = check(param, request)
                if error:
                    reason = str(error).splitlines()[0]
                    details.append({"field": param["name"], "in": where, "reason": reason})
        if details:
            raise RequestValidationProblem(details)


class MultipartBodyValidator(MultiPartFormDataValidator):  # type: ignore[misc]
    """Multipart validation where a malformed body is a 400, not Starlette's unhandled error."""

    async def _parse(self, stream: Any, scope: Any) -> Any:
        try:
            return await super()._parse(stream, scope)
        except MultiPartException as exc:
            raise RequestValidationProblem(
                [{"field": "", "in": "body", "reason": f"malformed multipart body: {exc.message}"}]
            ) from exc


def validator_map() -> dict[str, Any]:
    """The ``validator_map`` for Connexion: our JSON and parameter validators."""
    return {
        "parameter": ParametersValidator,
        "body": MediaTypeDict(
            {
                "*/*json": JSONBodyValidator,
                "application/x-www-form-urlencoded": FormDataValidator,
                "multipart/form-data": MultipartBodyValidator,
            }
        ),
    }
