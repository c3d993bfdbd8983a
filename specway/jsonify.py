"""orjson behind Connexion's ``Jsonifier``: the same contract, several times faster."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson
from connexion.jsonifier import Jsonifier


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class OrjsonJsonifier(Jsonifier):  # type: ignore[misc]
    """Serialises handler results with orjson (datetimes as RFC 3339, UUIDs as strings)."""

    def __init__(self) -> None:
        super().__init__(orjson)

    def dumps(self, data: Any, **kwargs: Any) -> str:
        try:
            return orjson.dumps(data, default=_default).decode("utf-8")
        except TypeError:
            # orjson refuses integers beyond 64 bits; the stdlib encoder does not.
            return json.dumps(data, default=_default, separators=(",", ":"))

    def loads(self, data: Any) -> Any:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            return data.decode("utf-8", "replace") if isinstance(data, bytes) else data
