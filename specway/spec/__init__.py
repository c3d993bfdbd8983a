"""Load, bundle, validate and lint OpenAPI documents, and read specway's extensions.

This package imports no other room of specway: runtime and codegen both build on it.
"""

from __future__ import annotations

from specway.spec.extensions import (
    AuthConfig,
    EnvelopeConfig,
    ErrorsConfig,
    OperationRateLimit,
    PaginationConfig,
    RateLimitConfig,
    RateLimitPolicy,
    SandboxConfig,
    VersioningConfig,
)
from specway.spec.lint import lint_document, validate_document
from specway.spec.loader import load_spec_document
from specway.spec.model import (
    OperationModel,
    SecurityRequirement,
    SpecModel,
    WebhookEvent,
    build_model,
    load_model,
)
from specway.spec.problems import Level, Problem, SpecError

__all__ = [
    "AuthConfig",
    "EnvelopeConfig",
    "ErrorsConfig",
    "Level",
    "OperationModel",
    "OperationRateLimit",
    "PaginationConfig",
    "Problem",
    "RateLimitConfig",
    "RateLimitPolicy",
    "SandboxConfig",
    "SecurityRequirement",
    "SpecError",
    "SpecModel",
    "VersioningConfig",
    "WebhookEvent",
    "build_model",
    "lint_document",
    "load_model",
    "load_spec_document",
    "validate_document",
]
