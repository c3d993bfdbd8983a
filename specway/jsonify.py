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


def column_dumps(value: Any) -> str:
    """The text a JSON column stores (the engine's ``json_serializer``): orjson, compact.

    Keys that are not strings become strings, as the standard library's encoder does; what orjson
    refuses (integers beyond 64 bits) falls back to that encoder.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
    except TypeError:
        return json.dumps(value, separators=(",", ":"))


def column_loads(text: str | bytes) -> Any:
    """A JSON column's value (the engine's ``json_deserializer``).

    Numbers are read as request bodies are (orjson). Text orjson refuses, e.g. ``NaN`` that an
    older standard-library encoder wrote, is read by the standard library.
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
