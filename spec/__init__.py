"""Load, bundle, validate and lint OpenAPI documents, and read specway's extensions.

This package imports no other room of specway: runtime and codegen both build on it.
"""

from __future__ import annotations

from spec.extensions import (
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
from spec.lint import lint_document, validate_document
from spec.loader import load_spec_document
from spec.model import (
    OperationModel,
    SecurityRequirement,
    SpecModel,
    WebhookEvent,
    build_model,
    load_model,
)
from spec.problems import Level, Problem, SpecError

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
