"""The ``errors`` plugin: one envelope for every error, Connexion's own included.

Installs the error handlers (API errors, Connexion problems, Starlette HTTP errors, backend
outages as 503, anything else as a 500 without internals), the validators that list every
failing field, the streaming body-size limit (413) and the query-parameter cap (400), both
checked before any stage reads the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connexion.exceptions import ProblemException
from starlette.exceptions import HTTPException

from specway.builder import AppBuilder
from specway.errors import APIError, ConfigError
from specway.plugins.errors.body_limit import BodyLimitMiddleware
from specway.plugins.errors.envelope import ErrorBody, error_document, render_error, send_error
from specway.plugins.errors.handlers import AllowedMethods, ErrorRenderer
from specway.plugins.errors.query_limit import QueryLimitMiddleware
from specway.plugins.errors.validation import validator_map
from specway.settings import Settings
from specway.spec import SpecModel
from specway.stages import Stage

__all__ = ["ErrorBody", "ErrorsPlugin", "error_document", "render_error", "send_error"]


class ErrorsPlugin:
    """Renders every error in the spec's ``x-specway-errors`` style."""

    name = "errors"

    def __init__(
        self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings
    ) -> None:
        self.spec = spec_model
        self.settings = settings

    def install(self, builder: AppBuilder) -> None:
        renderer = ErrorRenderer(self.spec.errors, AllowedMethods(self.spec))
        builder.add_error_handler(APIError, renderer.api_error)
        builder.add_error_handler(ProblemException, renderer.problem)
        builder.add_error_handler(HTTPException, renderer.http_exception)
        builder.add_error_handler(Exception, renderer.unhandled)
        builder.validator_map.update(validator_map())
        builder.add_middleware(
            BodyLimitMiddleware,
            Stage.RESPONSES,
            max_body_size=self.settings.max_body_size,
            errors=self.spec.errors,
        )
        if self.settings.max_query_params < 1:
            raise ConfigError(
                f"SPECWAY_MAX_QUERY_PARAMS must be at least 1, not {self.settings.max_query_params}"
            )
        builder.add_middleware(
            QueryLimitMiddleware,
            Stage.RESPONSES,
            max_params=self.settings.max_query_params,
            errors=self.spec.errors,
        )
