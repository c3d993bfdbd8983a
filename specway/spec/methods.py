"""The HTTP methods a path item may hold operations under (OpenAPI 3.0 and 3.1)."""

from __future__ import annotations

HTTP_METHODS: tuple[str, ...] = (
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
)
